"""The part of loading every source shares: options, splits, transforms, batching.

A source (TFDS, a folder of images, numpy arrays) gives a `tf.data.Dataset` of
`(image, label)` examples, images uint8 (or float32 in [0, 1]) `[H, W, C]` and
labels int64 (`-1` when the source has none); `finish` turns it into the batched,
cached, prefetched dataset `load` returns.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from .splits import balanced_subset, subset_indices

SHUFFLE_BUFFER = 10_000
NO_LABEL = -1  # the label of an example of an unlabelled source, never yielded


def check_count(value, key):
    """A `ValueError` unless `value` is a positive integer: strictly an integer, as
    int("3") or int(2.5) would pass a string or a fraction through as a count."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{key} must be a positive integer, got {value!r}.")


@dataclasses.dataclass(frozen=True)
class Options:
    """The loading options of `load` and `from_arrays`, checked once."""

    batch_size: int = 128
    shuffle: bool | None = None
    seed: int = 0
    scale: bool = True
    flatten: bool = False
    binarize: str | None = None
    one_hot: bool = False
    supervised: bool | None = None
    labelled_per_class: int | None = None
    cache: bool = True
    drop_remainder: bool = False
    take: int | None = None
    repeat: bool = False
    image_size: tuple | None = None
    channels: int | None = None
    validation: float | int | None = None
    subset: str | None = None
    validation_seed: int = 0

    def __post_init__(self):
        b = self.batch_size
        if isinstance(b, bool) or not isinstance(b, int) or b < 1:
            raise ValueError(f"batch_size must be a positive integer, got {b!r}.")
        if self.binarize not in (None, "dynamic", "static"):
            raise ValueError(
                f"binarize must be None, 'dynamic' or 'static', got {self.binarize!r}."
            )
        if self.binarize and not self.scale:
            raise ValueError(
                "binarize needs scale=True (it draws Bernoulli(x), x in [0,1])."
            )
        size = self.image_size
        if size is not None:
            if isinstance(size, int) and not isinstance(size, bool):
                size = (size, size)
            if not (
                isinstance(size, tuple | list)
                and len(size) == 2
                and all(isinstance(s, int) and not isinstance(s, bool) for s in size)
                and min(size) >= 1
            ):
                raise ValueError(
                    "image_size must be (height, width) positive integers, got "
                    f"{size!r}."
                )
            object.__setattr__(self, "image_size", tuple(size))
        if self.channels not in (None, 1, 3):
            raise ValueError(
                f"channels must be None (keep), 1 (grey) or 3 (RGB), got "
                f"{self.channels!r}."
            )
        if (self.validation is None) != (self.subset is None):
            raise ValueError(
                "validation and subset go together: validation=0.1 (a fraction) or "
                "5000 (a count) with subset='training' or 'validation'; got "
                f"validation={self.validation!r}, subset={self.subset!r}."
            )
        if self.subset not in (None, "training", "validation"):
            raise ValueError(
                f"subset must be 'training' or 'validation', got {self.subset!r}."
            )
        for key in ("take", "labelled_per_class"):
            if getattr(self, key) is not None:
                check_count(getattr(self, key), key)

    def default_shuffle(self, split):
        """Shuffle unless told: splits starting with "train", never validation."""
        if self.shuffle is not None:
            return self.shuffle
        return str(split).startswith("train") and self.subset != "validation"

    def resolve_supervised(self, labelled, what):
        """Whether to yield `(x, y)`: by default when the source has labels."""
        if not labelled:
            for key in ("supervised", "one_hot", "labelled_per_class"):
                if getattr(self, key):
                    raise ValueError(
                        f"{key}={getattr(self, key)!r} needs labels, but {what} has "
                        "none. Labels come from a folder's class sub-folders, "
                        "from_arrays' y or a TFDS label feature; without them, "
                        "use supervised=False."
                    )
            return False
        return True if self.supervised is None else bool(self.supervised)


def select(ds, indices, num_examples):
    """The examples of `ds` at `indices` (positions in its order), kept in order.

    A mask looked up by position: streams the dataset, holds no examples.

    Args:
        ds: A dataset of `num_examples` examples.
        indices: Positions to keep.
        num_examples: Length of `ds`.

    Returns:
        The filtered dataset.

    Example:
        >>> select(tf.data.Dataset.range(10), [1, 5], 10)  # yields 1, 5
    """
    mask = np.zeros(num_examples, bool)
    mask[indices] = True
    mask = tf.constant(mask)

    def chosen(i, example):
        return mask[i]

    def drop_position(i, example):
        return example

    kept = tf.data.experimental.assert_cardinality(int(mask.numpy().sum()))
    return ds.enumerate().filter(chosen).map(drop_position).apply(kept)


def in_memory(x, y, options, num_classes):
    """A dataset of `(x, y)` arrays after the validation subset and labelled subset.

    Args:
        x: Images `[N, H, W, C]`.
        y: int64 labels `[N]`, or None (examples then carry label `NO_LABEL`).
        options: The `Options`.
        num_classes: Classes of `labelled_per_class`.

    Returns:
        A `tf.data.Dataset` of `(image, label)` examples.

    Example:
        >>> ds = in_memory(x, y, Options(labelled_per_class=10), 10)
    """
    keep = subset_indices(len(x), options)
    if keep is not None:
        x, y = x[keep], (None if y is None else y[keep])
    if options.labelled_per_class is not None:
        keep = balanced_subset(
            y, int(options.labelled_per_class), options.seed, num_classes
        )
        x, y = x[keep], y[keep]
    if y is None:
        y = np.full(len(x), NO_LABEL, np.int64)
    return tf.data.Dataset.from_tensor_slices((x, y))


def _convert_channels(image, channels):
    have = image.shape[-1]
    if channels is None or have == channels:
        return image
    if have == 1 and channels == 3:
        return tf.image.grayscale_to_rgb(image)
    if have == 3 and channels == 1:
        return tf.image.rgb_to_grayscale(image)
    raise ValueError(
        f"channels={channels} converts between grey (1) and RGB (3) images; these "
        f"have {have} channels."
    )


def _transform(options, num_classes):
    def transform(image, label):
        uint8 = image.dtype == tf.uint8
        image = _convert_channels(image, options.channels)
        resized = options.image_size is not None and tuple(image.shape[:2]) != tuple(
            options.image_size
        )
        if resized:
            image = tf.image.resize(
                tf.cast(image, tf.float32), options.image_size, antialias=True
            )
            top = 255.0 if uint8 else 1.0
            image = tf.clip_by_value(image, 0.0, top)
            if not options.scale:
                image = tf.cast(tf.round(image), tf.uint8)
        if options.scale:
            image = tf.cast(image, tf.float32) / 255.0 if uint8 else image
        if options.flatten:
            image = tf.reshape(image, [-1])
        if options.one_hot:
            label = tf.one_hot(label, num_classes)
        return image, label

    return transform


def finish(ds, options, *, num_classes, supervised, what):
    """The batched, cached, shuffled, prefetched dataset of `(image, label)` `ds`.

    Args:
        ds: Examples `(image [H, W, C] uint8 or float32, label int64)`.
        options: The `Options`.
        num_classes: Depth of one-hot labels.
        supervised: Yield `(x, y)` (else `x` only).
        what: The source, named in errors.

    Returns:
        The dataset `load` returns.

    Example:
        >>> finish(examples, Options(batch_size=32), num_classes=10,
        ...     supervised=True, what="my arrays")
    """
    shape = ds.element_spec[0].shape
    if shape.rank != 3 or (options.image_size is None and None in shape[:2]):
        raise ValueError(
            f"{what} has images of varying size {tuple(shape)}; pass "
            "image_size=(H, W) to resize them to one size."
        )
    if ds.element_spec[0].dtype != tf.uint8 and not options.scale:
        raise ValueError(
            f"scale=False keeps uint8 pixels, but {what} has float pixels in "
            "[0, 1]; pass uint8 images or scale=True."
        )
    if options.take is not None:
        ds = ds.take(int(options.take))
    ds = ds.map(_transform(options, num_classes), num_parallel_calls=tf.data.AUTOTUNE)
    seed = options.seed
    if options.binarize == "static":
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
    if options.repeat and ds.cardinality() == 0:
        # repeat() of nothing never yields and never ends.
        raise ValueError(f"{what} has no examples to repeat.")
    if options.cache and options.shuffle and ds.cardinality() >= 0:
        ds = _shuffled_batches(ds, options, supervised)
        return ds.prefetch(tf.data.AUTOTUNE).with_options(_SHARD_BY_DATA)
    if options.cache:
        ds = ds.cache()
    if options.shuffle:
        ds = ds.shuffle(SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True)
    if options.repeat:
        ds = ds.repeat()
    # The maps after the cache run on whole batches: a per-example map costs about
    # as much per example as the small models' training step does
    # (benchmarks/results/data_wait.md).
    ds = ds.batch(options.batch_size, drop_remainder=options.drop_remainder)
    if options.binarize == "dynamic":
        # A fresh draw for every batch and epoch, keyed by a seeded random stream
        # (not a stateful op), so a dataset built again draws the same noise in
        # every epoch and a resumed run replays its epochs exactly.
        keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip(ds, keys).map(
            lambda xy, key: (_binarized(xy[0], tf.stack([key, seed])), xy[1]),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    if not supervised:
        ds = ds.map(lambda x, y: x)
    return ds.prefetch(tf.data.AUTOTUNE).with_options(_SHARD_BY_DATA)


def _binarized(image, seed):
    """Bernoulli(image) pixels, from a stateless draw keyed by `seed` ([2] int64)."""
    noise = tf.random.stateless_uniform(tf.shape(image), tf.cast(seed, tf.int64))
    return tf.cast(noise < image, tf.float32)


def _shuffled_batches(ds, options, supervised):
    """Batches of `ds` in a fresh full permutation every epoch, gathered from the
    cached examples held as one tensor, binarized afresh when `binarize="dynamic"`.

    `cache().shuffle(buffer).batch()` moves every example through tf.data on its
    own, which cost vae_mnist 17 % of its epoch in waiting (batch 100, 5 ms steps);
    one map per batch (gather, draw, project) measured 5 % (noisy:
    benchmarks/results/data_wait.md). The cache keeps the same bytes either way
    (all examples, in memory).
    The order and the noise are stateless functions of `seed` and a seeded random
    stream advanced once per iteration, so a dataset built again replays the same
    epochs (resumed runs).
    """
    num_examples = int(ds.cardinality())
    # One element: every example, stacked (batch() allocates its batch_size).
    whole = ds.batch(max(num_examples, 1)).cache()
    if options.repeat:
        whole = whole.repeat()
    keys = tf.data.Dataset.random(seed=options.seed, rerandomize_each_iteration=True)
    size, drop = options.batch_size, options.drop_remainder
    seed = tf.constant(options.seed, tf.int64)
    dynamic = options.binarize == "dynamic"

    def gathered(examples, i, batch_seed, j):
        image, label = examples
        x, y = tf.gather(image, i), tf.gather(label, i)
        if dynamic:  # batch j's own stream of the seed
            x = _binarized(x, tf.random.experimental.stateless_fold_in(batch_seed, j))
        return (x, y) if supervised else x

    def epoch(examples, key):
        epoch_seed = tf.stack([key, seed])
        order = tf.random.experimental.stateless_shuffle(
            tf.range(tf.shape(examples[0], out_type=tf.int64)[0]), seed=epoch_seed
        )
        return (
            tf.data.Dataset.from_tensor_slices(order)
            .batch(size, drop_remainder=drop)
            .enumerate()
            .map(
                lambda j, i: gathered(examples, i, epoch_seed, j),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
        )

    if options.repeat:
        # One endless stream of permutations, batched across their boundaries (as
        # `repeat().batch()` does), so a subset smaller than a batch, such as 20
        # labelled examples in batches of 100, still yields batches: batching each
        # permutation on its own would yield none, and repeat() would then spin
        # forever without producing an element.
        order = keys.flat_map(
            lambda key: tf.data.Dataset.from_tensor_slices(
                tf.random.experimental.stateless_shuffle(
                    tf.range(num_examples, dtype=tf.int64),
                    seed=tf.stack([key, seed]),
                )
            )
        )
        stream_seed = tf.stack([seed, tf.constant(0x5EED, tf.int64)])
        stream = tf.data.Dataset.zip(
            whole,  # (repeated: the same cached tensor for every batch)
            order.batch(size, drop_remainder=drop).enumerate(),
        ).map(
            lambda examples, ji: gathered(examples, ji[1], stream_seed, ji[0]),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
        # flat_map hides that the stream never ends; zip() with a finite dataset
        # (the semi-supervised merge) and Keras need to know it.
        return stream.apply(
            tf.data.experimental.assert_cardinality(tf.data.INFINITE_CARDINALITY)
        )
    ds = tf.data.Dataset.zip(whole, keys).flat_map(epoch)
    # flat_map hides the length; Keras and the checkpoint need it.
    batches = num_examples // size if drop else -(-num_examples // size)
    return ds.apply(tf.data.experimental.assert_cardinality(batches))


# Under a multi-worker strategy each worker keeps every N-th batch. tf.data's default
# (AUTO) shards by file first, and a TFDS split in one file (MNIST's) or arrays in
# memory then fail with "Could not apply FILE based sharding".
_SHARD_BY_DATA = tf.data.Options()
_SHARD_BY_DATA.experimental_distribute.auto_shard_policy = (
    tf.data.experimental.AutoShardPolicy.DATA
)
