"""Codes in 2-D: a model's latent codes by PCA and by t-SNE side by side (and as
they are, when the code is already 2-D), coloured by label."""

import numpy as np
from threadpoolctl import threadpool_limits

from . import verbs
from .figures import pyplot, write


def _colours(labels, plt):
    """Scatter colour arguments (one colour per class 0..k-1) and the colour bar's
    ticks (None: no bar)."""
    from matplotlib.colors import ListedColormap

    if labels is None:
        return {"color": "0.4"}, None
    k = int(labels.max()) + 1
    if k <= 20:
        palette = plt.get_cmap("tab10" if k <= 10 else "tab20").colors[:k]
        cmap = ListedColormap(palette)
    else:
        cmap = plt.get_cmap("viridis").resampled(k)
    ticks = range(k) if k <= 20 else None
    return {"c": labels, "cmap": cmap, "vmin": -0.5, "vmax": k - 0.5}, ticks


def _check_codes(codes, labels):
    codes = np.asarray(codes, np.float64)
    if codes.ndim != 2 or codes.shape[1] < 2:
        raise ValueError(
            "save_embedding expected codes of shape (points, dims) with dims >= 2, "
            f"got {codes.shape}."
        )
    if len(codes) < 4:
        raise ValueError(f"save_embedding needs at least 4 points, got {len(codes)}.")
    if not np.all(np.isfinite(codes)):
        raise ValueError("save_embedding expected finite codes, got NaN or inf.")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (len(codes),):
            raise ValueError(
                f"labels must have shape ({len(codes)},), one per point, got "
                f"{labels.shape}."
            )
        if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
            raise ValueError("labels must be integer classes >= 0.")
    return codes, labels


def projections(codes, perplexity=30.0, seed=0, threads=None):
    """`{title: [N, 2]}`: the codes as they are (when 2-D), their first two
    principal components (`sklearn.decomposition.PCA`) and a t-SNE embedding
    (`sklearn.manifold.TSNE`, PCA initialisation; the perplexity is capped below
    a third of the points, as t-SNE needs). `threads` caps t-SNE's OpenMP threads
    (None: scikit-learn's default); on cores shared with other jobs, 1 avoids
    OpenMP's busy-waiting, which can make t-SNE hundreds of times slower."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    out = {}
    if codes.shape[1] == 2:
        out["codes as they are (2-D)"] = codes
    out["PCA to 2-D"] = PCA(n_components=2, random_state=seed).fit_transform(codes)
    perplexity = float(min(perplexity, (len(codes) - 1) / 3))
    tsne = TSNE(2, perplexity=perplexity, init="pca", random_state=seed)
    with threadpool_limits(limits=threads, user_api="openmp"):
        out[f"t-SNE to 2-D (perplexity {perplexity:g})"] = tsne.fit_transform(codes)
    return out


def save_embedding(
    path,
    codes,
    labels=None,
    perplexity=30.0,
    seed=0,
    max_points=2000,
    threads=None,
    title=None,
    figsize=None,
    dpi=100,
):
    """Saves codes `[N, D]` in 2-D, PCA and t-SNE side by side (and the codes as
    they are beside them when D == 2), coloured by integer label.

    Args:
        path: Output `.png` path.
        codes: `[N, D]`, D >= 2, N >= 4.
        labels: `[N]` integer classes, or None (grey points).
        perplexity: t-SNE's perplexity (capped at (N - 1) / 3).
        seed: Seed of the subsample, PCA's solver and t-SNE.
        max_points: Points shown at most (a seeded random subset: t-SNE's time
            grows faster than linearly).
        threads: OpenMP threads for t-SNE (see `projections`).
        title: Figure title.
        figsize: Inches `(width, height)`; the PNG is `figsize * dpi` pixels.
        dpi: Resolution.

    Returns:
        The path written.

    Raises:
        ValueError: Codes not `[N, D >= 2]` or not finite, fewer than 4 points,
            labels not one integer class per point.
    """
    codes, labels = _check_codes(codes, labels)
    total = len(codes)
    if total > verbs.check_count(max_points, "max_points"):
        keep = np.sort(np.random.default_rng(seed).choice(total, max_points, False))
        codes = codes[keep]
        labels = None if labels is None else labels[keep]
    panels = projections(codes, perplexity, seed, threads)
    plt = pyplot()
    colours, ticks = _colours(labels, plt)
    fig, axes = plt.subplots(
        1, len(panels), figsize=figsize or (4.5 * len(panels) + 1, 4.6), dpi=dpi
    )
    for ax, (name, points) in zip(np.atleast_1d(axes), panels.items(), strict=True):
        size = 12 if len(points) < 500 else 4
        scatter = ax.scatter(points[:, 0], points[:, 1], s=size, alpha=0.7, **colours)
        ax.set_title(name)
        ax.set_xticks([])
        ax.set_yticks([])
    shown = (
        f"{len(codes)} of {total} points" if len(codes) < total else f"{total} points"
    )
    fig.suptitle(f"{title}, {shown}" if title else shown)
    if labels is not None:
        fig.colorbar(
            scatter,
            ax=list(np.atleast_1d(axes)),
            ticks=ticks,
            label="label",
            fraction=0.03,
        )
    return write(fig, path, dpi)


def save_latent_scatter(model, path, x, labels=None, **kwargs):
    """Saves the codes of images `x` (`model.encode`; a VAE's posterior means) in
    2-D by PCA and t-SNE (and as they are when the code is 2-D), coloured by
    `labels`.

    Args:
        model: A model with `encode(x)`.
        path: Output `.png` path.
        x: A batch of images of the model's input shape.
        labels: Their integer classes (colours), or None. A conditional model
            (`takes_labels`) encodes each image with its label.
        **kwargs: `save_embedding`'s options (`perplexity`, `seed`,
            `max_points`, `threads`, `title`, `figsize`, `dpi`).

    Returns:
        The path written.

    Raises:
        ValueError: A model without `encode`, `x` of the wrong shape, or what
            `save_embedding` refuses.
    """
    verbs.require(model, ("encode",), "save_latent_scatter")
    x = verbs.check_images(model, x, "x", "save_latent_scatter")
    if labels is not None and np.shape(labels) != (len(x),):
        raise ValueError(
            f"labels must have shape ({len(x)},), one per image, got "
            f"{np.shape(labels)}."
        )
    given = labels if getattr(model, "takes_labels", False) else None
    codes = verbs.encode(model, x, given)
    kwargs.setdefault("title", f"{type(model).__name__} codes")
    return save_embedding(path, codes, labels, **kwargs)
