"""Straight-line propagation to a cylinder with end caps (the calorimeter front faces)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .helix_kernel import ray_kernel


def hit_cylinder(
    origin: NDArray[np.float64],
    direction: NDArray[np.float64],
    radius: float,
    z_backward: float,
    z_forward: float,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Where rays from `origin` (N, 3) along `direction` (N, 3) leave the closed cylinder.

    The cylinder is r < radius, z_backward < z < z_forward. Returns the exit points (N, 3) and
    a mask of rays that start inside it (those starting outside never reach the front faces).
    Compiled (helix_kernel.ray_kernel): s = min(barrel root, end-cap plane) along the unit ray.
    """
    return ray_kernel(
        np.ascontiguousarray(origin[:, :3], dtype=float),
        np.ascontiguousarray(direction[:, :3], dtype=float),
        float(radius),
        float(z_backward),
        float(z_forward),
    )
