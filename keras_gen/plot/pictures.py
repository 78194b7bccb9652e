"""Pictures of a model's images: samples, reconstructions, a 2-D manifold and
interpolations, each written as one PNG of exactly `figsize * dpi` pixels."""

from statistics import NormalDist

import numpy as np

from . import verbs
from .figures import pyplot, show_grid, write


def _size(figsize, grid_shape, extra_height=0.4):
    """`figsize` or one that fits a grid of `(rows, cols)` images."""
    if figsize is not None:
        return figsize
    rows, cols = grid_shape
    scale = min(0.6, 10.0 / max(cols, 1))
    return (max(3.0, cols * scale), max(2.0, rows * scale + extra_height))


def save_grid(path, images, ncols=8, title=None, figsize=None, dpi=100):
    """Saves images (values in [0, 1]) as one titled grid in a PNG.

    Returns:
        The path written, as a `Path`.
    """
    images = np.asarray(images, np.float32)
    ncols = max(1, min(verbs.check_count(ncols, "ncols"), len(images)))
    plt = pyplot()
    fig, ax = plt.subplots(
        figsize=_size(figsize, (-(-len(images) // ncols), ncols)), dpi=dpi
    )
    show_grid(ax, images, ncols, title)
    fig.tight_layout()
    return write(fig, path, dpi)


def save_samples(
    model,
    path,
    n=64,
    labels=None,
    seed=None,
    ncols=8,
    title=None,
    value_range=None,
    figsize=None,
    dpi=100,
):
    """Saves a grid of `n` samples of `model` as a PNG.

    Args:
        model: A model with `sample(n, labels=None)`.
        path: Output `.png` path (parent folders are created).
        n: Number of samples.
        labels: One class or `n` classes for a conditional model; by default its
            classes in turn.
        seed: None for fresh draws, or an int for the same samples every time (see
            `verbs.draw_samples`).
        ncols: Images per row.
        title: Figure title (default: the model's class and what was drawn).
        value_range: `(low, high)` of the samples, shown as black to white
            (default: the model's `input_range`, else [0, 1]).
        figsize: Inches `(width, height)`; the PNG is `figsize * dpi` pixels.
        dpi: Resolution.

    Returns:
        The path written, as a `Path`.

    Raises:
        ValueError: A model that does not sample, or a bad `n`.
    """
    images = verbs.draw_samples(model, n, labels, seed)
    if title is None:
        title = f"{type(model).__name__} samples"
        if getattr(model, "conditional_sampling", False) and labels is None:
            title += f", classes 0-{model.num_classes - 1} in turn"
    images = verbs.unit_range(model, images, value_range)
    return save_grid(path, images, ncols, title, figsize, dpi)


def save_reconstructions(
    model, path, x, labels=None, ncols=10, value_range=None, figsize=None, dpi=100
):
    """Saves originals above their reconstructions (the same place in each grid).

    Args:
        model: A model with `reconstruct(x)` (conditional: `reconstruct(x, labels)`).
        path: Output `.png` path.
        x: A batch of images of the model's input shape.
        labels: Their classes, for a conditional model.
        ncols: Images per row.
        value_range: See `save_samples`.
        figsize: Inches `(width, height)`; the PNG is `figsize * dpi` pixels.
        dpi: Resolution.

    Returns:
        The path written.

    Raises:
        ValueError: A model without `reconstruct`, or `x` of the wrong shape.
    """
    verbs.require(model, ("reconstruct",), "save_reconstructions")
    x = verbs.check_images(model, x, "x", "save_reconstructions")
    recon = verbs.reconstruct(model, x, labels)
    x, recon = (verbs.unit_range(model, v, value_range) for v in (x, recon))
    return save_pairs(path, x, recon, ncols, figsize=figsize, dpi=dpi)


def save_pairs(
    path, originals, reconstructions, ncols=10, title=None, figsize=None, dpi=100
):
    """Saves two grids of images (values in [0, 1]), `originals` above
    `reconstructions`, each image above its pair at the same place.

    Returns:
        The path written.
    """
    originals, reconstructions = (
        np.asarray(v, np.float32) for v in (originals, reconstructions)
    )
    if originals.shape != reconstructions.shape:
        raise ValueError(
            "save_pairs expected originals and reconstructions of the same shape, "
            f"got {originals.shape} and {reconstructions.shape}."
        )
    ncols = max(1, min(verbs.check_count(ncols, "ncols"), len(originals)))
    rows = -(-len(originals) // ncols)
    plt = pyplot()
    fig, axes = plt.subplots(
        2, 1, figsize=_size(figsize, (2 * rows, ncols), 0.8), dpi=dpi
    )
    top = "originals" if title is None else f"{title}: originals"
    for ax, images, name in zip(
        axes, (originals, reconstructions), (top, "reconstructions"), strict=True
    ):
        show_grid(ax, images, ncols, name)
    fig.tight_layout()
    return write(fig, path, dpi)


def manifold_codes(n=20, grid="normal", limits=(-3.0, 3.0)):
    """`[n * n, 2]` codes on a grid: rows of decreasing z2 (top to bottom), columns
    of increasing z1, the layout of `save_manifold`.

    Args:
        n: Points per axis.
        grid: `"normal"`: the standard normal's quantiles at (i + 0.5) / n, i.e.
            the inverse CDF of a N(0, I) prior at evenly spaced probabilities, as
            in Kingma & Welling's figure 4 (right for a VAE or AAE with the
            standard normal prior). `"linear"`: evenly spaced from `limits[0]` to
            `limits[1]` (for any other code space).
        limits: `(low, high)` for both axes, or `((low1, high1), (low2, high2))`,
            used by the linear grid.
    """
    n = verbs.check_count(n, "n")
    if grid == "normal":
        quantile = NormalDist().inv_cdf
        axis = np.array([quantile(p) for p in np.linspace(0.5 / n, 1 - 0.5 / n, n)])
        axes = (axis, axis)
    elif grid == "linear":
        spans = np.asarray(limits, np.float64)
        if spans.shape == (2,):
            spans = np.stack([spans, spans])
        if spans.shape != (2, 2):
            raise ValueError(
                "limits must be (low, high) or ((low1, high1), (low2, high2)), "
                f"got {limits!r}."
            )
        axes = tuple(np.linspace(low, high, n) for low, high in spans)
    else:
        raise ValueError(f"grid must be 'normal' or 'linear', got {grid!r}.")
    z1, z2 = np.meshgrid(axes[0], axes[1][::-1])
    return np.stack([z1.ravel(), z2.ravel()], -1).astype(np.float32)


def save_manifold(
    model,
    path,
    n=20,
    grid="normal",
    limits=(-3.0, 3.0),
    labels=None,
    value_range=None,
    figsize=None,
    dpi=100,
):
    """Saves the images decoded from an `n` x `n` grid of a 2-D code space.

    The grid is the standard normal prior's inverse CDF at evenly spaced
    probabilities (`grid="normal"`, the default, as in Kingma & Welling) or a
    linear grid over `limits` (`grid="linear"`); see `manifold_codes`. Columns go
    with z1 (left to right), rows with z2 (increasing upwards).

    Args:
        model: A model with `decode(z)` and `latent_dim == 2`.
        path: Output `.png` path.
        n: Points per axis.
        grid: `"normal"` or `"linear"`.
        limits: Range of the linear grid.
        labels: One class to decode every point with (conditional models).
        value_range: See `save_samples`.
        figsize: Inches `(width, height)`; the PNG is `figsize * dpi` pixels.
        dpi: Resolution.

    Returns:
        The path written.

    Raises:
        ValueError: A model without `decode`, a code that is not 2-D, a bad grid.
    """
    verbs.require(model, ("decode",), "save_manifold")
    dim = getattr(model, "latent_dim", None)
    if dim != 2:
        raise ValueError(
            f"save_manifold needs a 2-D code (latent_dim=2); {type(model).__name__} "
            f"has latent_dim={dim}."
        )
    z = manifold_codes(n, grid, limits)
    if labels is not None and np.ndim(labels) == 0:
        labels = np.full(len(z), int(labels))
    images = verbs.unit_range(model, verbs.decode(model, z, labels), value_range)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=_size(figsize, (n, n)), dpi=dpi)
    kind = "prior quantiles" if grid == "normal" else "linear grid"
    show_grid(ax, images, n, f"decoded {n}x{n} {kind}: z1 across, z2 up")
    fig.tight_layout()
    return write(fig, path, dpi)


def interpolation_codes(za, zb, steps):
    """`[B, steps, D]` points on the lines from each code in `za` to `zb`."""
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[None, :, None]
    return za[:, None] * (1 - t) + zb[:, None] * t


def save_interpolations(
    model,
    path,
    x_a,
    x_b,
    steps=10,
    labels=None,
    value_range=None,
    figsize=None,
    dpi=100,
):
    """Saves one row per pair: `x_a`, the images decoded along the straight line
    from its code to the code of `x_b` (`steps` points, ends included), `x_b`.

    Args:
        model: A model with `encode` and `decode` (a distribution's mean is used).
        path: Output `.png` path.
        x_a, x_b: Batches of images of equal shape (or single images).
        steps: Decoded points per line (>= 2).
        labels: The pairs' classes, for a conditional model (encoded and decoded
            with them).
        value_range: See `save_samples`.
        figsize: Inches `(width, height)`; the PNG is `figsize * dpi` pixels.
        dpi: Resolution.

    Returns:
        The path written.

    Raises:
        ValueError: A model without `encode` or `decode`; `x_a` and `x_b` of
            different shapes or not of the model's input shape; `steps` < 2.
    """
    verbs.require(model, ("encode", "decode"), "save_interpolations")
    steps = verbs.check_count(steps, "steps")
    if steps < 2:
        raise ValueError(f"steps must be at least 2 (both ends), got {steps}.")
    x_a, x_b = (np.asarray(v, np.float32) for v in (x_a, x_b))
    if x_a.shape != x_b.shape:
        raise ValueError(
            "save_interpolations expected x_a and x_b of the same shape, got "
            f"{x_a.shape} and {x_b.shape}."
        )
    shape = getattr(model, "data_shape", x_a.shape[1:])
    if x_a.shape == tuple(shape):
        x_a, x_b = x_a[None], x_b[None]
    x_a = verbs.check_images(model, x_a, "x_a", "save_interpolations")
    x_b = verbs.check_images(model, x_b, "x_b", "save_interpolations")
    if labels is not None:
        labels = np.broadcast_to(np.asarray(labels), (len(x_a),))
    za, zb = (verbs.encode(model, v, labels) for v in (x_a, x_b))
    z = interpolation_codes(za, zb, steps).reshape(-1, za.shape[-1])
    path_labels = None if labels is None else np.repeat(np.asarray(labels), steps)
    line = verbs.decode(model, z, path_labels).reshape(len(x_a), steps, *x_a.shape[1:])
    rows = np.concatenate([x_a[:, None], line, x_b[:, None]], axis=1)
    rows = verbs.unit_range(model, rows, value_range)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=_size(figsize, (len(x_a), steps + 2)), dpi=dpi)
    show_grid(
        ax,
        rows.reshape(-1, *x_a.shape[1:]),
        steps + 2,
        "x_a, decoded line between the codes, x_b",
    )
    fig.tight_layout()
    return write(fig, path, dpi)
