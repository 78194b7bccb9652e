"""Training curves from a Keras `History` or a history dict."""

import math
import numbers

import numpy as np

from .figures import pyplot, write


def history_series(history):
    """`{metric: [value per epoch]}` of a `keras.callbacks.History` (its
    `.history`), a dict of metric lists, or a dict `{epoch: {metric: value}}` (as
    `callbacks.PresetCheckpoint` and preset metadata keep it, epochs from 1).

    Raises:
        TypeError: Anything else, or values that are not numbers.
        ValueError: No metric, or no epoch.
    """
    series = getattr(history, "history", history)
    if not isinstance(series, dict):
        raise TypeError(
            "history must be a keras.callbacks.History or a dict of metric lists, "
            f"got {type(history).__name__}."
        )
    if series and all(isinstance(v, dict) for v in series.values()):
        epochs = sorted(series, key=int)
        names = list(dict.fromkeys(k for e in epochs for k in series[e]))
        series = {k: [series[e].get(k, math.nan) for e in epochs] for k in names}
    if not series:
        raise ValueError("history has no metric to plot.")
    out = {}
    for name, values in series.items():
        values = [values] if isinstance(values, numbers.Number) else list(values)
        if not all(isinstance(v, numbers.Number) for v in values):
            kinds = sorted({type(v).__name__ for v in values})
            raise TypeError(
                f"history[{name!r}] must be a list of numbers, got {', '.join(kinds)}."
            )
        out[str(name)] = np.asarray(values, np.float64)
    if max(len(v) for v in out.values()) == 0:
        raise ValueError("history has no epoch to plot.")
    return out


def metric_groups(names):
    """`{panel: [metrics]}`: each metric with its `val_` twin in one panel."""
    groups = {}
    for name in names:
        base = name[4:] if name.startswith("val_") and name[4:] in names else name
        groups.setdefault(base, []).append(name)
    return groups


def save_history(history, path, metrics=None, ncols=3, figsize=None, dpi=100):
    """Saves training curves: one panel per metric (its validation twin
    `val_<metric>` in the same panel), value against epoch (from 1).

    Args:
        history: A `keras.callbacks.History`, a dict of metric lists, or a dict
            `{epoch: {metric: value}}` (see `history_series`).
        path: Output `.png` path.
        metrics: Metric names to show (with their `val_` twins); default all.
        ncols: Panels per row.
        figsize: Inches `(width, height)`; the PNG is `figsize * dpi` pixels.
        dpi: Resolution.

    Returns:
        The path written.

    Raises:
        TypeError: A history of another type, or values that are not numbers.
        ValueError: An empty history, or `metrics` naming one it does not have.
    """
    from matplotlib.ticker import MaxNLocator

    series = history_series(history)
    groups = metric_groups(list(series))
    if metrics is not None:
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        unknown = [m for m in metrics if m not in groups]
        if unknown:
            raise ValueError(
                f"history has no metric {', '.join(map(repr, unknown))}; it has "
                f"{', '.join(map(repr, groups))}."
            )
        groups = {m: groups[m] for m in metrics}
    ncols = max(1, min(int(ncols), len(groups)))
    nrows = -(-len(groups) // ncols)
    plt = pyplot()
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=figsize or (4 * ncols, 3 * nrows),
        dpi=dpi,
        squeeze=False,
    )
    for ax, (panel, names) in zip(axes.ravel(), groups.items(), strict=False):
        for name in names:
            values = series[name]
            epochs = np.arange(1, len(values) + 1)
            ax.plot(
                epochs, values, marker="o" if len(values) < 30 else None, label=name
            )
        ax.set_title(panel)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if len(names) > 1:
            ax.legend()
    for ax in axes.ravel()[len(groups) :]:
        ax.axis("off")
    fig.tight_layout()
    return write(fig, path, dpi)
