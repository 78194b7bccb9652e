"""Toy problems of GAN theory: 2-D Gaussian mixtures, mode coverage, the xy game.

The ring of 8 Gaussians and the 5 x 5 grid are the standard mode-collapse
benchmarks (PacGAN, VEEGAN, Unrolled GAN). `mode_coverage` fixes one definition:
a sample is high quality when it lies within `threshold` standard deviations of
its nearest mode, and a mode is covered when it has at least `min_samples` high-
quality samples.
"""

import numpy as np
from scipy.spatial import distance


def _positive_int(value, name):
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def ring_modes(modes=8, radius=2.0):
    """Centres of `modes` Gaussians evenly spaced on a circle, `[modes, 2]`."""
    angles = 2 * np.pi * np.arange(_positive_int(modes, "modes")) / modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], 1)


def grid_modes(side=5, spacing=2.0):
    """Centres of a `side` x `side` grid centred on the origin, `[side**2, 2]`."""
    axis = spacing * (np.arange(_positive_int(side, "side")) - (side - 1) / 2)
    return np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)


def mixture_samples(n, centres, std, seed=None):
    """`n` float32 samples of the equal-weight mixture of N(centre, std^2 I)."""
    n = _positive_int(n, "n")
    if not std > 0:
        raise ValueError(f"std must be > 0, got {std!r}.")
    centres = np.asarray(centres, np.float64)
    rng = np.random.default_rng(seed)
    which = rng.integers(len(centres), size=n)
    return (centres[which] + std * rng.standard_normal((n, 2))).astype("float32")


def ring_of_gaussians(n, modes=8, radius=2.0, std=0.02, seed=None):
    """Samples of the ring mixture (PacGAN: radius 2, std 0.02)."""
    return mixture_samples(n, ring_modes(modes, radius), std, seed)


def grid_of_gaussians(n, side=5, spacing=2.0, std=0.05, seed=None):
    """Samples of the grid mixture (PacGAN: 25 modes, spacing 2, std 0.05)."""
    return mixture_samples(n, grid_modes(side, spacing), std, seed)


def mode_coverage(samples, centres, std, threshold=3.0, min_samples=1):
    """How many modes the samples cover, and how many samples are high quality.

    Args:
        samples: `[N, 2]` generated points.
        centres: `[K, 2]` mode centres.
        std: Standard deviation of each mode.
        threshold: High quality means within `threshold * std` of the nearest mode.
        min_samples: High-quality samples a mode needs to count as covered.

    Returns:
        Dict: `modes_covered` (int), `high_quality` (fraction of samples),
        `counts` (high-quality samples per mode, list).
    """
    samples = np.asarray(samples, np.float64)
    centres = np.asarray(centres, np.float64)
    if samples.ndim != 2 or samples.shape[1:] != centres.shape[1:]:
        raise ValueError(
            f"samples must be [N, {centres.shape[1]}] like the centres, got "
            f"{samples.shape}."
        )
    dist = distance.cdist(samples, centres)
    nearest = dist.argmin(1)
    good = dist[np.arange(len(samples)), nearest] <= threshold * std
    counts = np.bincount(nearest[good], minlength=len(centres))
    return {
        "modes_covered": int((counts >= min_samples).sum()),
        "high_quality": float(good.mean()) if len(samples) else 0.0,
        "counts": counts.tolist(),
    }


def bilinear_game(steps, lr=0.1, start=(1.0, 1.0), alternating=False):
    """Gradient play on min_x max_y V(x, y) = x * y, whose equilibrium is (0, 0).

    Simultaneous updates x <- x - lr * y, y <- y + lr * x multiply the distance to
    the equilibrium by sqrt(1 + lr^2) every step: they spiral outwards and never
    converge. Alternating updates (y uses the new x) stay on a bounded orbit, still
    without converging.

    Args:
        steps: Number of updates.
        lr: Learning rate of both players.
        start: `(x0, y0)`.
        alternating: Update y with the already-updated x.

    Returns:
        The trajectory, `[steps + 1, 2]`.
    """
    steps = _positive_int(steps, "steps")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}.")
    x, y = (float(v) for v in start)
    path = [(x, y)]
    for _ in range(steps):
        new_x = x - lr * y
        y = y + lr * (new_x if alternating else x)
        x = new_x
        path.append((x, y))
    return np.array(path)
