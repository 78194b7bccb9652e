"""Where images come from: a TFDS dataset or a folder of images, by name or path.

`load(name_or_path, split, batch_size)` reads a TFDS image dataset (`mnist`,
`fashion_mnist`, `cifar10`, `svhn_cropped`, `celeb_a`, ...) through `tfds.load`,
or a folder of images (`keras_gen.data.folders`); `info` tells shape, classes and
split sizes. Both end in `keras_gen.data.pipeline.finish`.
"""

import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from .folders import read_folder
from .pipeline import Options, finish, in_memory, select
from .prepare import default_data_dir
from .splits import slice_indices, subset_indices
from .tfds_source import (
    DatasetUnavailableError,
    image_label_keys,
    is_path,
    is_registered,
    prepared_builder,
    tfds_examples,
    unknown_dataset,
)

__all__ = ["DatasetInfo", "DatasetUnavailableError", "info", "load", "load_numpy"]


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What a model needs to fit a dataset; see `info`."""

    name: str
    shape: tuple
    num_classes: int | None
    class_names: list | None
    num_examples: dict
    source: str
    prepared: bool = True


def load_numpy(name, split, data_dir=None):
    """The split as numpy: uint8 images `[N, H, W, C]` and int64 labels `[N]`.

    Args:
        name: A prepared TFDS dataset name, or a folder of images (split "train"
            or a slice of it; labels None when the folder has no class folders).
        split: Split string, e.g. `"test"`, `"train[:1000]"`.
        data_dir: TFDS data directory.

    Returns:
        `(images, labels)`.

    Example:
        >>> x, y = keras_gen.data.load_numpy("mnist", "test")
    """
    if is_path(name):
        folder = read_folder(name)
        keep = slice_indices(split, len(folder.x), str(folder.path))
        return folder.x[keep], (None if folder.y is None else folder.y[keep])
    data_dir = str(data_dir or default_data_dir())
    builder = prepared_builder(name, data_dir, download=False)
    x, y = tfds_examples(builder, name, split, data_dir, batch_size=-1)
    return x.numpy(), (None if y is None else y.numpy().astype(np.int64))


def load(
    name_or_path,
    split="train",
    batch_size=128,
    *,
    data_dir=None,
    download=None,
    shuffle=None,
    seed=0,
    scale=True,
    flatten=False,
    binarize=None,
    one_hot=False,
    supervised=None,
    labelled_per_class=None,
    cache=True,
    drop_remainder=False,
    take=None,
    repeat=False,
    image_size=None,
    channels=None,
    validation=None,
    subset=None,
    validation_seed=0,
):
    """A batched, shuffled, cached, prefetched `tf.data.Dataset` of images.

    Args:
        name_or_path: A TFDS image dataset name (`"mnist"`, `"fashion_mnist"`,
            `"cifar10"`, `"celeb_a"`, ...) or the path of a folder of images
            (PNG, JPEG, BMP, GIF, WebP): one sub-folder per class gives labels
            0..K-1 by sorted name; images directly in the folder have none.
        split: TFDS split string, e.g. `"train"`, `"test"`, `"train[:50000]"`.
            A folder is one split, `"train"`, which TFDS-style slices cut
            (`"train[:80%]"`, `"train[100:]"`) in a fixed, class-mixed order.
        batch_size: Examples per batch.
        data_dir: TFDS data directory (default `default_data_dir()`).
        download: For a TFDS dataset not prepared in `data_dir`: None downloads
            when its sources answer within 3 s (else a clear error), True always
            tries, False never does.
        shuffle: Shuffle each epoch (default: splits starting with "train",
            not a validation subset).
        seed: Seed of shuffling, static binarization and labelled subsets.
        scale: Floats in [0, 1]; `False` keeps uint8 (no binarization then).
        flatten: Images as `[B, H*W*C]` instead of `[B, H, W, C]`.
        binarize: `None`, `"dynamic"` (a fresh Bernoulli draw every epoch)
            or `"static"` (one fixed draw given `seed`).
        one_hot: Labels as float32 one-hot `[B, num_classes]`.
        supervised: Yield `(x, y)`; `False` yields `x` only. Default: `(x, y)`
            when the data has labels, `x` when not (True is then an error).
        labelled_per_class: Keep a class-balanced subset of N per class.
        cache: Cache decoded examples in memory.
        drop_remainder: Drop the last partial batch.
        take: Use only the first `take` examples.
        repeat: Repeat forever.
        image_size: `(H, W)` to resize every image to (bilinear, antialiased).
        channels: 1 or 3: convert to grey or RGB.
        validation: A fraction in (0, 1) or a count of `split`'s examples held
            out for validation (see `split_validation`), with `subset`.
        subset: `"training"` (the rest) or `"validation"` (the held-out part).
        validation_seed: Seed of the held-out choice (kept apart from `seed`,
            so reshuffling never moves examples between the subsets).

    Returns:
        The dataset: float32 images `[B, H, W, C]` in [0, 1] (or flattened),
        with int64 labels (float32 one-hot) when supervised.

    Example:
        >>> ds = keras_gen.data.load("mnist", "train", 100, binarize="dynamic")
        >>> val = keras_gen.data.load("faces/", "train", 64, image_size=(64, 64),
        ...     validation=0.1, subset="validation")
    """
    opts = Options(
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        scale=scale,
        flatten=flatten,
        binarize=binarize,
        one_hot=one_hot,
        supervised=supervised,
        labelled_per_class=labelled_per_class,
        cache=cache,
        drop_remainder=drop_remainder,
        take=take,
        repeat=repeat,
        image_size=image_size,
        channels=channels,
        validation=validation,
        subset=subset,
        validation_seed=validation_seed,
    )
    if is_path(name_or_path):
        folder = read_folder(name_or_path, opts.image_size, opts.channels)
        what = str(folder.path)
        x, y = folder.x, folder.y
        if split != "train":
            keep = slice_indices(split, len(x), what)
            x, y = x[keep], (None if y is None else y[keep])
        supervised = opts.resolve_supervised(y is not None, what)
        num_classes = None if y is None else len(folder.class_names)
        ds = in_memory(x, y, opts, num_classes)
    else:
        name = str(name_or_path)
        data_dir = str(data_dir or default_data_dir())
        builder = prepared_builder(name, data_dir, download)
        if not builder.is_prepared():  # its sources answered (or download=True)
            builder.download_and_prepare()
        label_key = image_label_keys(builder.info, name)[1]
        what = f"TFDS dataset {name!r}"
        supervised = opts.resolve_supervised(label_key is not None, what)
        num_classes = builder.info.features[label_key].num_classes if label_key else 0
        if opts.labelled_per_class is not None:
            x, y = load_numpy(name, split, data_dir)
            ds = in_memory(x, y, opts, num_classes)
        else:
            ds = tfds_examples(builder, name, split, data_dir)
            if opts.validation is not None:
                n = builder.info.splits[split].num_examples
                ds = select(ds, subset_indices(n, opts), n)
    opts = dataclasses.replace(opts, shuffle=opts.default_shuffle(split))
    return finish(ds, opts, num_classes=num_classes, supervised=supervised, what=what)


def info(name_or_path, *, data_dir=None, image_size=None, channels=None):
    """The shape, classes and split sizes of a dataset, to build a model that fits.

    No network: a TFDS dataset's shape and classes come from its builder, its
    split sizes from the prepared copy (empty when not prepared). A folder is
    decoded (once: a following `load` with the same options reuses it).

    Args:
        name_or_path: A TFDS dataset name or a folder of images.
        data_dir: TFDS data directory.
        image_size: `(H, W)` as `load` would resize to.
        channels: 1 or 3 as `load` would convert to.

    Returns:
        A `DatasetInfo`: `shape` (H, W, C) (None for sizes that vary),
        `num_classes` (None when unlabelled), `class_names`, `num_examples`
        ({split: count} where known), `source` ("tfds" or "folder"), `prepared`.

    Example:
        >>> keras_gen.data.info("mnist").shape
        (28, 28, 1)
    """
    opts = Options(image_size=image_size, channels=channels)
    if is_path(name_or_path):
        folder = read_folder(name_or_path, opts.image_size, opts.channels)
        names = folder.class_names
        return DatasetInfo(
            name=str(folder.path),
            shape=folder.x.shape[1:],
            num_classes=None if names is None else len(names),
            class_names=names,
            num_examples={"train": len(folder.x)},
            source="folder",
        )
    name = str(name_or_path)
    if not is_registered(name):
        raise unknown_dataset(name)
    builder = tfds.builder(name, data_dir=str(data_dir or default_data_dir()))
    image_key, label_key = image_label_keys(builder.info, name)
    h, w, c = builder.info.features[image_key].shape
    if opts.image_size is not None:
        h, w = opts.image_size
    label = builder.info.features[label_key] if label_key else None
    return DatasetInfo(
        name=name,
        shape=(h, w, opts.channels or c),
        num_classes=label.num_classes if label else None,
        class_names=list(label.names) if label else None,
        num_examples={s: v.num_examples for s, v in builder.info.splits.items()},
        source="tfds",
        prepared=builder.is_prepared(),
    )
