"""Image grids and figures, written as PNG by matplotlib.

The helpers at the end (`pyplot`, `show_grid`, `write`) are what every picture of
`keras_gen.plot` draws with: a figure is exactly `figsize * dpi` pixels, since it
is saved without a tight bounding box. The figures are `matplotlib.figure.Figure`
objects made without `matplotlib.pyplot`, so writing one neither needs a display nor
changes the backend or the figures of the user's own pyplot session (a notebook's
inline plots keep working after a `keras_gen.plot.save_*` call).
"""

from pathlib import Path

import numpy as np


def image_grid(images, ncols=8, pad=1):
    """Tiles `[N, H, W]` or `[N, H, W, C]` images into one `[rows*H, ncols*W, C]` array.

    Args:
        images: Array-like of images with values in [0, 1].
        ncols: Images per row.
        pad: Pixels of white space between images.

    Returns:
        A float array of the grid (C is 1 or 3).
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(f"images must be [N, H, W(, C)], got shape {images.shape}.")
    n, h, w, c = images.shape
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    grid = np.ones((nrows * (h + pad) - pad, ncols * (w + pad) - pad, c), np.float32)
    for i, image in enumerate(images):
        r, col = divmod(i, ncols)
        grid[
            r * (h + pad) : r * (h + pad) + h, col * (w + pad) : col * (w + pad) + w
        ] = image
    return np.clip(grid, 0.0, 1.0)


def save_figure(path, panels, ncols=8, dpi=100):
    """Saves titled image grids side by side as one PNG.

    Args:
        path: Output `.png` path (parent folders are created).
        panels: Dict `{title: images}`; each becomes a grid with that title.
        ncols: Images per row in each grid.
        dpi: Resolution.

    Returns:
        The path written, as a `Path`.
    """
    plt = pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4.4))
    for ax, (title, images) in zip(np.atleast_1d(axes), panels.items(), strict=True):
        grid = image_grid(images, ncols)
        ax.imshow(
            grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=1
        )
        ax.set_title(title)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def save_scatter(path, panels, dpi=100, share_axes=False):
    """Saves 2-D point clouds coloured by label, one titled panel each, as a PNG.

    Args:
        path: Output `.png` path.
        panels: Dict `{title: (points [N, 2], labels [N])}`.
        dpi: Resolution.
        share_axes: The same axis limits in every panel.

    Returns:
        The path written.
    """
    plt = pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(
        1,
        len(panels),
        figsize=(5.5 * len(panels), 5),
        sharex=share_axes,
        sharey=share_axes,
    )
    for ax, (title, (points, labels)) in zip(
        np.atleast_1d(axes), panels.items(), strict=True
    ):
        points = np.asarray(points)
        colours = (
            {"color": "0.5"}
            if labels is None
            else {"c": labels, "cmap": "tab10", "vmin": -0.5, "vmax": 9.5}
        )
        scatter = ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.6, **colours)
        if labels is not None:
            sc = scatter
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(sc, ax=list(np.atleast_1d(axes)), ticks=range(10), label="digit")
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


class _Figures:
    # The few pyplot functions the pictures use, on figures pyplot does not manage:
    # pyplot would need (or switch to) a non-interactive backend to draw off-screen.
    FIGURE_ARGS = ("figsize", "dpi", "layout", "constrained_layout")

    @classmethod
    def subplots(cls, *args, **kwargs):
        from matplotlib.figure import Figure

        figure_args = {k: kwargs.pop(k) for k in cls.FIGURE_ARGS if k in kwargs}
        fig = Figure(**figure_args)
        return fig, fig.subplots(*args, **kwargs)

    @staticmethod
    def get_cmap(name):
        import matplotlib

        return matplotlib.colormaps[name]

    @staticmethod
    def close(fig):
        pass  # a figure pyplot does not manage is freed with its last reference


def pyplot():
    """The `subplots`, `get_cmap` and `close` of `matplotlib.pyplot`, for figures
    outside pyplot's state (no backend switch, no display needed)."""
    return _Figures


def show_grid(ax, images, ncols, title=None):
    """Draws `images` (values in [0, 1]) as one grid on `ax`, without axes."""
    grid = image_grid(images, ncols)
    ax.imshow(
        grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=1
    )
    if title:
        ax.set_title(title)
    ax.axis("off")
    return grid


def write(fig, path, dpi):
    """Saves `fig` to the PNG `path` (parent folders created), closes it, and
    returns the path as a `Path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, format="png")
    pyplot().close(fig)
    return path
