"""Straight-line propagation to a cylinder with end caps (the calorimeter front faces)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .calo_kernel import ray_exit


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
    Compiled (calo_kernel.ray_exit): s = min(barrel root, end-cap plane) along the unit ray.
    """
    o = np.ascontiguousarray(np.asarray(origin, dtype=float)[:, :3].T)
    d = np.ascontiguousarray(np.asarray(direction, dtype=float)[:, :3].T)
    hit = np.empty((3, o.shape[1]))
    inside = np.empty(o.shape[1], dtype=bool)
    ray_exit(*o, *d, float(radius), float(z_backward), float(z_forward), *hit, inside)
    return hit.T, inside
