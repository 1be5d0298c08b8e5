"""Straight-line propagation to a cylinder with end caps (the calorimeter front faces)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


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
    """
    o, d = origin, direction / np.linalg.norm(direction, axis=-1, keepdims=True)
    a = d[:, 0] ** 2 + d[:, 1] ** 2
    b = o[:, 0] * d[:, 0] + o[:, 1] * d[:, 1]
    c = o[:, 0] ** 2 + o[:, 1] ** 2 - radius**2
    inside = (c < 0.0) & (o[:, 2] > z_backward) & (o[:, 2] < z_forward)
    with np.errstate(divide="ignore", invalid="ignore"):
        s_barrel = np.where(a > 0.0, (-b + np.sqrt(np.maximum(b * b - a * c, 0.0))) / a, np.inf)
        z_plane = np.where(d[:, 2] >= 0.0, z_forward, z_backward)
        s_cap = np.where(d[:, 2] != 0.0, (z_plane - o[:, 2]) / d[:, 2], np.inf)
    s = np.minimum(s_barrel, s_cap)
    return o + s[:, None] * d, inside
