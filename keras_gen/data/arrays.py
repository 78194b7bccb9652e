"""Numpy arrays of images as a dataset: `from_arrays`, and the checks of the arrays."""

import dataclasses

import numpy as np

from .pipeline import Options, finish, in_memory
from .splits import slice_indices

EXPECTED_X = "images [N, H, W] or [N, H, W, C], uint8 0-255 or float in [0, 1]"


def check_images(x, what="x"):
    """`x` as uint8 or float32 `[N, H, W, C]`, or a TypeError/ValueError saying why.

    Integer pixels in 0..255 become uint8, bool and float pixels float32 (floats
    must lie in [0, 1]); `[N, H, W]` gains a channel axis.

    Args:
        x: An array (or tensor, or nested lists) of images.
        what: Its name in errors.

    Returns:
        The checked array.

    Example:
        >>> check_images(np.zeros((10, 28, 28), np.uint8)).shape
        (10, 28, 28, 1)
    """
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    try:
        x = np.asarray(x)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{what} must be one array of {EXPECTED_X}: {err}") from None
    if not (x.dtype == bool or np.issubdtype(x.dtype, np.integer)) and not (
        np.issubdtype(x.dtype, np.floating)
    ):
        raise TypeError(f"{what} must be numeric {EXPECTED_X}; got dtype {x.dtype}.")
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{what} must be {EXPECTED_X}; got shape {x.shape} (rank {x.ndim})."
        )
    if x.ndim == 3:
        x = x[..., None]
    if 0 in x.shape:
        raise ValueError(f"{what} must hold at least one image; got shape {x.shape}.")
    if x.dtype == bool:
        return x.astype(np.float32)
    low, high = x.min(), x.max()
    if np.issubdtype(x.dtype, np.integer):
        if low < 0 or high > 255:
            raise ValueError(
                f"{what} has integer pixels in [{low}, {high}]; expected 0..255 "
                "(uint8), or floats in [0, 1]."
            )
        return x.astype(np.uint8, copy=False)
    if not (np.isfinite(low) and np.isfinite(high)) or low < 0.0 or high > 1.0:
        raise ValueError(
            f"{what}: expected floats in [0, 1], got float pixels in [{low}, {high}] "
            "(divide 0-255 pixels by 255, or pass them as uint8)."
        )
    return x.astype(np.float32, copy=False)


def check_labels(y, num_examples, num_classes=None, what="y"):
    """`y` as int64 `[N]` class indices and the number of classes, or an error.

    Args:
        y: Integer labels `[N]` (or `[N, 1]`, or integral floats).
        num_examples: The number of images they label.
        num_classes: The number of classes, default `max(y) + 1`.
        what: Its name in errors.

    Returns:
        `(labels, num_classes)`.

    Example:
        >>> check_labels([0, 2, 1], 3)
        (array([0, 2, 1]), 3)
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"{what} must be integer class labels [N]; got shape {y.shape} (one-hot "
            "labels: pass y.argmax(1))."
        )
    if len(y) != num_examples:
        raise ValueError(
            f"{what} has {len(y)} labels but x has {num_examples} images; expected "
            f"one label per image, got {len(y)} for {num_examples}."
        )
    integral = np.issubdtype(y.dtype, np.integer) or (
        np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0)
    )
    if y.dtype == bool or not integral:
        raise TypeError(
            f"{what} must be integer class labels 0..K-1; got dtype {y.dtype}."
        )
    y = y.astype(np.int64)
    if y.min() < 0:
        raise ValueError(f"{what} must be class labels >= 0; got minimum {y.min()}.")
    if num_classes is None:
        num_classes = int(y.max()) + 1
    elif isinstance(num_classes, bool) or int(num_classes) <= y.max():
        raise ValueError(
            f"num_classes={num_classes!r} but {what} has labels up to {y.max()}."
        )
    return y, int(num_classes)


def from_arrays(
    x, y=None, batch_size=128, *, split="train", num_classes=None, **options
):
    """A batched, cached, prefetched `tf.data.Dataset` over numpy arrays of images.

    The same elements as `load`: float32 images in [0, 1] `[B, H, W, C]` (or
    flattened, or uint8 with `scale=False`), int64 labels (one-hot float32 with
    `one_hot=True`), images alone when there is no `y` or `supervised=False`.

    Args:
        x: Images `[N, H, W]` or `[N, H, W, C]`: uint8 (or integers) in 0..255, or
            floats (or bools) in [0, 1].
        y: Optional integer class labels `[N]`.
        batch_size: Examples per batch.
        split: `"train"` (all of them, in their order) or a TFDS-style slice of
            it, e.g. `"train[:80%]"`, `"train[1000:]"`.
        num_classes: Number of classes (default `max(y) + 1`), for `one_hot`.
        **options: `load`'s options: shuffle, seed, scale, flatten, binarize,
            one_hot, supervised, labelled_per_class, cache, drop_remainder, take,
            repeat, image_size, channels, validation, subset, validation_seed.

    Returns:
        The dataset.

    Example:
        >>> x = np.random.randint(0, 256, (100, 32, 32, 3), dtype=np.uint8)
        >>> ds = keras_gen.data.from_arrays(x, np.arange(100) % 10, 20,
        ...     image_size=(16, 16), channels=1, one_hot=True)
    """
    opts = checked_options(batch_size, options)
    x = check_images(x)
    labelled = y is not None
    if labelled:
        y, num_classes = check_labels(y, len(x), num_classes)
    supervised = opts.resolve_supervised(labelled, "these arrays")
    if split != "train":
        keep = slice_indices(split, len(x), "these arrays")
        x, y = x[keep], (y[keep] if labelled else None)
    opts = dataclasses.replace(opts, shuffle=opts.default_shuffle(split))
    ds = in_memory(x, y, opts, num_classes)
    return finish(
        ds, opts, num_classes=num_classes, supervised=supervised, what="these arrays"
    )


def checked_options(batch_size, options):
    """`Options` from keyword options; a TypeError names unknown ones.

    Args:
        batch_size: Examples per batch.
        options: A dict of `load`'s options.

    Returns:
        The `Options`.

    Example:
        >>> checked_options(32, {"one_hot": True}).one_hot
        True
    """
    names = {f.name for f in dataclasses.fields(Options)} - {"batch_size"}
    unknown = sorted(set(options) - names)
    if unknown:
        raise TypeError(
            f"Unknown option(s) {', '.join(unknown)}; the options are "
            f"{', '.join(sorted(names))}."
        )
    return Options(batch_size=batch_size, **options)
