"""TFDS datasets by name: known or suggested, prepared or reachable, image and label.

Before `tfds.load` downloads anything, a cheap check: measured here (no network),
`tfds.load("fashion_mnist")` of an unprepared dataset retried its unreachable
hosts for more than three minutes; a TCP connection to the dataset's homepage and
to TFDS's bucket fails within 3 s, and then a clear error says how to bring the
data. A dataset already prepared in the data directory never touches the network.
"""

import difflib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import tensorflow as tf
import tensorflow_datasets as tfds

from .pipeline import NO_LABEL
from .prepare import KNOWN_DATASETS, PREPARE_HINT, host_reachable

GCS = "https://storage.googleapis.com/"  # TFDS's own bucket of prepared datasets
REACH_TIMEOUT = 3.0


class DatasetUnavailableError(FileNotFoundError, ValueError):
    """A TFDS dataset is neither prepared here nor downloadable from here.

    A FileNotFoundError (the data is not on disk) and a ValueError (as the error
    for a dataset other than mnist was before any TFDS name could be loaded).
    """


def is_path(name_or_path):
    """Whether `load` reads `name_or_path` as a folder rather than a TFDS name.

    A `pathlib.Path` always; a string starting with "/", "." or "~" or holding a
    backslash; one with "/" unless it names a TFDS builder ("name/config"); a bare
    name when it is no TFDS name but exists on disk. So "cifar10" is TFDS's even
    when a folder of that name is here: pass `Path("cifar10")` or "./cifar10".

    Args:
        name_or_path: What `load` was given.

    Returns:
        True for a path.

    Example:
        >>> is_path("mnist"), is_path("./faces"), is_path(Path("mnist"))
        (False, True, True)
    """
    if isinstance(name_or_path, os.PathLike):
        return True
    text = str(name_or_path)
    if text.startswith(("/", ".", "~")) or "\\" in text:
        return True
    if "/" in text:
        return not is_registered(text)
    return not is_registered(text) and Path(text).exists()


def _base_name(name):
    return name.split(":")[0].split("/")[0]


def is_registered(name):
    """Whether TFDS has a builder of that name (no network, no builder made).

    Args:
        name: A TFDS name, maybe with "/config" or ":version".

    Returns:
        True when registered.

    Example:
        >>> is_registered("cifar10:3.0.2"), is_registered("cifar11")
        (True, False)
    """
    try:
        tfds.builder_cls(_base_name(name))
    except tfds.core.registered.DatasetNotFoundError:
        return False
    return True


def unknown_dataset(name):
    """The ValueError for a name that is neither a TFDS name nor a path.

    Args:
        name: The unknown name.

    Returns:
        A ValueError naming it and the close TFDS names (difflib).

    Example:
        >>> raise unknown_dataset("fashion_mnis")  # "Did you mean fashion_mnist?"
    """
    close = difflib.get_close_matches(
        name, tfds.list_builders(with_community_datasets=False), n=5, cutoff=0.6
    )
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return ValueError(
        f"Unknown dataset {name!r}: expected a TFDS dataset name or a folder, got "
        f"neither ({Path(name).resolve()} does not exist).{hint} TFDS names are "
        "listed by "
        "`tfds.list_builders()`. Known datasets: "
        f"{', '.join(KNOWN_DATASETS)} (keras_gen builds it offline)."
    )


def _any_reachable(urls):
    # In parallel, so the wait is one timeout, not one per host.
    with ThreadPoolExecutor(len(urls)) as pool:
        return any(pool.map(lambda u: host_reachable(u, REACH_TIMEOUT), urls))


def _unavailable(name, data_dir, urls):
    why = (
        f"its sources do not answer from here ({', '.join(urls)}: no connection "
        f"within {REACH_TIMEOUT:g} s)"
        if urls
        else "download=False"
    )
    base = _base_name(name)
    return DatasetUnavailableError(
        f"TFDS dataset {name!r} is not prepared in {data_dir}, and {why}, so TFDS "
        "cannot download it. To bring the data: (1) where there is internet, run "
        f"`tfds build {base} --data_dir DIR` (or keras_gen.data.load({name!r}, "
        f"...) once), then copy DIR/{base} into {data_dir} or pass data_dir=DIR; "
        "(2) or save the images into a folder, one sub-folder per class, and pass "
        "its path: keras_gen.data.load('path/to/folder'); (3) or pass numpy "
        "arrays: keras_gen.data.from_arrays(x, y). download=True tries TFDS anyway "
        f"(e.g. behind a proxy). Known datasets: {', '.join(KNOWN_DATASETS)} "
        "(keras_gen builds it offline: `keras-gen data prepare mnist`)."
    )


def prepared_builder(name, data_dir, download=None):
    """The TFDS builder of `name`: prepared, or preparable from here.

    The network is asked only when the dataset is not prepared and `download` is
    None: a TCP connection to its homepage's host and to TFDS's bucket, both
    within `REACH_TIMEOUT` seconds, instead of `tfds.load`'s minutes of retries.

    Args:
        name: A registered TFDS name.
        data_dir: TFDS data directory.
        download: None (download when reachable), True (try), False (never).

    Returns:
        The `tfds.core.DatasetBuilder`.

    Raises:
        ValueError: An unknown name (with close names).
        FileNotFoundError: mnist not prepared (`keras-gen data prepare mnist`).
        DatasetUnavailableError: Not prepared and not downloadable from here.

    Example:
        >>> prepared_builder("mnist", default_data_dir()).is_prepared()
        True
    """
    if not is_registered(name):
        raise unknown_dataset(name)
    builder = tfds.builder(name, data_dir=data_dir)
    if builder.is_prepared() or download is True:
        return builder
    if _base_name(name) in KNOWN_DATASETS:
        raise FileNotFoundError(f"{name} is not prepared in {data_dir}. {PREPARE_HINT}")
    if download is False:
        raise _unavailable(name, data_dir, [])
    urls = [u for u in (builder.info.homepage, GCS) if u and "://" in u]
    if not _any_reachable(urls):
        raise _unavailable(name, data_dir, urls)
    return builder


def image_label_keys(info, name):
    """The image and label features of a TFDS dataset.

    The supervised keys when they are an image and a class label; else the
    first image feature and the "label" class label if any (celeb_a has none).

    Args:
        info: The builder's `tfds.core.DatasetInfo`.
        name: The dataset's name, for errors.

    Returns:
        `(image_key, label_key)`, `label_key` None when unlabelled.

    Example:
        >>> image_label_keys(tfds.builder("celeb_a").info, "celeb_a")
        ('image', None)
    """
    features = dict(info.features.items())
    keys = [k for k in info.supervised_keys or () if isinstance(k, str)]
    images = [k for k in keys[:1] + list(features) if _is(features, k, "Image")]
    if not images:
        raise ValueError(
            f"TFDS dataset {name!r} has no image feature; its features: "
            f"{', '.join(features)}."
        )
    if features[images[0]].tf_dtype != tf.uint8:
        raise ValueError(
            f"TFDS dataset {name!r} has {features[images[0]].tf_dtype.name} images; "
            "keras_gen.data reads uint8 images (0-255)."
        )
    labels = [k for k in keys[1:2] + ["label"] if _is(features, k, "ClassLabel")]
    return images[0], (labels[0] if labels else None)


def _is(features, key, kind):
    return isinstance(features.get(key), getattr(tfds.features, kind))


def tfds_examples(builder, name, split, data_dir, batch_size=None):
    """A split's `(image, label)` examples through `tfds.load`, in stored order.

    Args:
        builder: The prepared builder.
        name: The dataset's name.
        split: TFDS split string.
        data_dir: TFDS data directory.
        batch_size: None: a dataset of examples; -1: the whole split as tensors.

    Returns:
        A `tf.data.Dataset` of `(image uint8, label int64)` (label -1 when the
        dataset has none), or `(images, labels or None)` tensors.

    Example:
        >>> ds = tfds_examples(builder, "mnist", "test", default_data_dir())
    """
    image_key, label_key = image_label_keys(builder.info, name)
    if (image_key, label_key) == tuple(builder.info.supervised_keys or ()):
        return tfds.load(
            name,
            split=split,
            data_dir=data_dir,
            as_supervised=True,
            batch_size=batch_size,
        )
    ds = tfds.load(name, split=split, data_dir=data_dir, batch_size=batch_size)
    if batch_size == -1:
        return ds[image_key], (ds[label_key] if label_key else None)
    return ds.map(
        lambda ex: (
            ex[image_key],
            ex[label_key] if label_key else tf.constant(NO_LABEL, tf.int64),
        )
    )
