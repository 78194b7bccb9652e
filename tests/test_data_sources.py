"""Data sources: folders of images, numpy arrays, any TFDS name; options, errors."""

import logging
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image

from keras_gen import data
from keras_gen.data import folders, tfds_source

CLASSES = {"apple": 4, "banana": 3, "cherry": 5}  # sub-folder: number of images


def _save(path, pixels, **kwargs):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(pixels, np.uint8)).save(path, **kwargs)
    return path


def _value(k, i):
    return 20 + 60 * k + i  # class k's i-th image: one grey level, unique


@pytest.fixture
def classes(tmp_path):
    """8x8 grey PNGs in class sub-folders; each image one grey level."""
    root = tmp_path / "fruit"
    for k, (name, count) in enumerate(CLASSES.items()):
        for i in range(count):
            _save(root / name / f"{i}.png", np.full((8, 8), _value(k, i)))
    return root


def _epoch(ds):
    batches = list(ds)
    if isinstance(batches[0], tuple):
        return tuple(np.concatenate([b[j].numpy() for b in batches]) for j in (0, 1))
    return np.concatenate([b.numpy() for b in batches])


def _grey_levels(x):
    return np.rint(x[..., 0].mean((1, 2)) * 255).astype(int)


def test_class_folders_label_by_sorted_name(classes):
    x, y = _epoch(data.load(classes, "train", 5, shuffle=False))
    assert x.shape == (12, 8, 8, 1) and x.dtype == np.float32 and y.dtype == np.int64
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert np.bincount(y).tolist() == list(CLASSES.values())
    # The label is the image's sub-folder: its grey level says which.
    np.testing.assert_array_equal((_grey_levels(x) - 20) // 60, y)
    assert not np.all(np.diff(y) >= 0)  # a fixed order that mixes the classes
    again = _epoch(data.load(str(classes), "train", 12, shuffle=False))
    np.testing.assert_array_equal(again[0], x)
    x1, y1 = _epoch(data.load(classes, "train", 12, one_hot=True, flatten=True))
    assert x1.shape == (12, 64) and y1.shape == (12, 3) and y1.dtype == np.float32
    np.testing.assert_array_equal(y1.sum(1), 1.0)
    about = data.info(classes)
    assert about.shape == (8, 8, 1) and about.num_classes == 3
    assert about.class_names == ["apple", "banana", "cherry"]
    assert about.num_examples == {"train": 12} and about.source == "folder"
    raw, labels = data.load_numpy(classes, "train[:6]")
    assert raw.dtype == np.uint8 and raw.shape == (6, 8, 8, 1) and len(labels) == 6


def test_flat_folder_yields_images_only(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(6):
        _save(tmp_path / f"{i}.jpg", rng.integers(0, 256, (32, 32, 3)), quality=95)
    x = _epoch(data.load(tmp_path, "train", 4))
    assert x.shape == (6, 32, 32, 3) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.std() > 0.1
    about = data.info(tmp_path)
    assert about.num_classes is None and about.class_names is None
    with pytest.raises(
        ValueError, match="supervised=True needs labels, but .* has none"
    ):
        data.load(tmp_path, "train", 4, supervised=True)
    with pytest.raises(ValueError, match="one_hot=True needs labels"):
        data.load(tmp_path, "train", 4, one_hot=True)
    with pytest.raises(ValueError, match="labelled_per_class=2 needs labels"):
        data.load(tmp_path, "train", 4, labelled_per_class=2, supervised=False)


def test_image_size_and_channels_convert_every_source(tmp_path):
    colour = (200, 100, 50)
    for i in range(3):
        _save(tmp_path / "rgb" / f"{i}.png", np.tile(colour, (64, 64, 1)))
    grey = 0.2989 * 200 + 0.5870 * 100 + 0.1140 * 50  # TF's rgb_to_grayscale
    ds = data.load(tmp_path / "rgb", "train", 3, image_size=(16, 16), channels=1)
    x = next(iter(ds))
    assert x.shape == (3, 16, 16, 1)
    np.testing.assert_allclose(x, round(grey) / 255, atol=1.5 / 255)
    assert data.info(tmp_path / "rgb", image_size=(16, 16), channels=1).shape == (
        16,
        16,
        1,
    )
    x = next(iter(data.load(tmp_path / "rgb", "train", 3, scale=False, image_size=8)))
    assert x.dtype == tf.uint8 and x.shape == (3, 8, 8, 3)
    np.testing.assert_array_equal(x[0, 0, 0], colour)
    # Arrays: grey to RGB, upscaled.
    arrays = np.full((4, 8, 8), 128, np.uint8)
    x = next(iter(data.from_arrays(arrays, None, 4, channels=3, image_size=(12, 20))))
    assert x.shape == (4, 12, 20, 3)
    np.testing.assert_allclose(x, 128 / 255, atol=1e-5)


def test_grey_and_rgb_mixed_become_rgb(tmp_path):
    _save(tmp_path / "a" / "grey.png", np.full((8, 8), 90))
    _save(tmp_path / "b" / "rgb.png", np.tile((10, 20, 30), (8, 8, 1)))
    x, y = _epoch(data.load(tmp_path, "train", 2, shuffle=False))
    assert x.shape == (2, 8, 8, 3)
    grey = x[y == 0][0]
    np.testing.assert_allclose(grey, 90 / 255)
    x = _epoch(data.load(tmp_path, "train", 2, channels=1, supervised=False))
    assert x.shape == (2, 8, 8, 1)


def test_unreadable_files_are_skipped_and_counted(classes, caplog):
    good = (classes / "apple" / "0.png").read_bytes()
    (classes / "apple" / "truncated.png").write_bytes(good[: len(good) // 2])
    (classes / "banana" / "notes.png").write_bytes(b"not an image at all")
    (classes / "banana" / "readme.txt").write_text("ignored: not an image name")
    with caplog.at_level(logging.WARNING, logger="keras_gen.data.folders"):
        x, y = _epoch(data.load(classes, "train", 20))
    assert len(x) == 12
    warning = caplog.records[-1].getMessage()
    assert "Skipped 2 of 14 image files" in warning
    assert "truncated.png" in warning and "notes.png" in warning
    broken = classes.parent / "broken"
    broken.mkdir()
    (broken / "x.png").write_bytes(good[:20])
    (broken / "y.jpg").write_bytes(b"\xff\xd8\xff garbage")
    with pytest.raises(ValueError, match="None of the 2 image files in .*broken"):
        data.load(broken, "train", 2)


def test_folder_errors_name_the_path(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="No such folder of images: .*nowhere"):
        data.load(missing, "train", 2)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        data.info(str(missing) + "/")
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(
        ValueError,
        match=r"No image files in .*empty: expected files of .*\.png.*found none",
    ):
        data.load(tmp_path / "empty", "train", 2)
    _save(tmp_path / "one.png", np.zeros((4, 4)))
    with pytest.raises(NotADirectoryError, match="one.png is a file"):
        data.load(tmp_path / "one.png", "train", 2)
    mixed = tmp_path / "mixed"
    for i in range(3):
        _save(mixed / f"small{i}.png", np.zeros((8, 8)))
    _save(mixed / "big.png", np.zeros((16, 12)))
    with pytest.raises(ValueError, match="mixed have different sizes") as err:
        data.load(mixed, "train", 2)
    message = str(err.value)
    assert "8x8 (3 file(s)" in message and "16x12 (1 file(s), e.g. big.png)" in message
    assert "image_size=(H, W)" in message
    x = _epoch(data.load(mixed, "train", 4, image_size=(8, 8)))
    assert x.shape == (4, 8, 8, 1)


def test_folder_slices_and_validation_subsets(classes):
    def levels(split="train", **kwargs):
        x = _epoch(data.load(classes, split, 50, supervised=False, **kwargs))
        return _grey_levels(x)

    every = levels(shuffle=False)
    assert sorted(every) == sorted(
        _value(k, i) for k, c in enumerate(CLASSES.values()) for i in range(c)
    )
    head, tail = levels("train[:75%]", shuffle=False), levels("train[75%:]")
    np.testing.assert_array_equal(head, every[:9])
    assert sorted(np.concatenate([head, tail])) == sorted(every)
    np.testing.assert_array_equal(levels("train[5:]", shuffle=False), every[5:])
    train = levels(validation=0.25, subset="training")
    val = levels(validation=0.25, subset="validation")
    assert len(val) == 3 and len(train) == 9
    assert set(train).isdisjoint(val) and set(train) | set(val) == set(every)
    np.testing.assert_array_equal(val, levels(validation=3, subset="validation"))
    assert set(val) == set(levels(validation=3, subset="validation", seed=5))
    other = levels(validation=3, subset="validation", validation_seed=1)
    assert set(other) != set(val)
    with pytest.raises(ValueError, match="all in one split 'train'"):
        data.load(classes, "test", 4)
    with pytest.raises(ValueError, match="validation and subset go together"):
        data.load(classes, "train", 4, validation=0.1)


def test_split_validation_is_disjoint_covering_and_seeded():
    train, val = data.split_validation(1000, 0.1, seed=3)
    assert len(val) == 100 and len(train) == 900
    assert np.intersect1d(train, val).size == 0
    np.testing.assert_array_equal(np.union1d(train, val), np.arange(1000))
    np.testing.assert_array_equal(val, data.split_validation(1000, 100, seed=3)[1])
    assert not np.array_equal(val, data.split_validation(1000, 100, seed=4)[1])
    with pytest.raises(ValueError, match="leaves 10 for validation and 0"):
        data.split_validation(10, 10)
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\), got 1.5"):
        data.split_validation(10, 1.5)
    with pytest.raises(TypeError, match="fraction in \\(0, 1\\) or a count"):
        data.split_validation(10, "10%")


def test_folder_is_decoded_once_and_again_when_changed(classes):
    first = folders.read_folder(classes)
    assert folders.read_folder(classes) is first
    assert not first.x.flags.writeable
    _save(classes / "apple" / "0.png", np.full((8, 8), 255))
    assert folders.read_folder(classes) is not first


def test_semi_supervised_batches_from_a_folder(classes):
    ds = data.load_semi_supervised(
        classes, "train", 4, labelled_per_class=2, labelled_batch_size=3
    )
    x, y = next(iter(ds))
    assert x.shape == (7, 8, 8, 1)
    assert np.all(y.numpy()[:4] == data.UNLABELLED)
    np.testing.assert_array_equal(
        (_grey_levels(x.numpy()[4:]) - 20) // 60, y.numpy()[4:]
    )


def test_from_arrays_uint8_and_float_with_options():
    rng = np.random.default_rng(0)
    x8 = rng.integers(0, 256, (30, 6, 5), dtype=np.uint8)
    y = np.arange(30) % 3
    x, labels = _epoch(data.from_arrays(x8, y, 8, shuffle=False))
    assert x.shape == (30, 6, 5, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x[..., 0], x8 / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(labels, y)
    xf = rng.uniform(0, 1, (30, 6, 5, 3)).astype(np.float64)
    x = _epoch(data.from_arrays(xf, batch_size=7, shuffle=False))
    assert x.dtype == np.float32 and x.shape == (30, 6, 5, 3)
    np.testing.assert_allclose(x, xf, rtol=1e-6)
    _, hot = _epoch(data.from_arrays(x8, y, 8, one_hot=True, num_classes=5))
    assert hot.shape == (30, 5) and hot[:, 3:].sum() == 0
    raw = _epoch(data.from_arrays(x8, y, 8, scale=False, supervised=False))
    assert raw.dtype == np.uint8
    binary = _epoch(data.from_arrays(xf, None, 8, binarize="static", seed=1))
    assert set(np.unique(binary)) <= {0.0, 1.0}
    _, few = _epoch(data.from_arrays(x8, y, 4, labelled_per_class=2))
    assert np.bincount(few).tolist() == [2, 2, 2]
    flat, _ = _epoch(data.from_arrays(x8, y, 4, flatten=True, take=10))
    assert flat.shape == (10, 30)
    ds = data.from_arrays(x8, y, 8, drop_remainder=True, repeat=True)
    assert [b[0].shape[0] for b in ds.take(5)] == [8] * 5
    val, _ = _epoch(data.from_arrays(x8, y, 8, validation=0.2, subset="validation"))
    assert len(val) == 6
    assert len(_epoch(data.from_arrays(x8, y, 64, split="train[10:]"))[0]) == 20


@pytest.mark.parametrize(
    "x, y, kwargs, error, message",
    [
        (np.array([["a"]] * 4), None, {}, TypeError, "must be numeric images.*<U1"),
        (np.zeros((4, 5)), None, {}, ValueError, r"got shape \(4, 5\) \(rank 2\)"),
        (np.zeros((0, 4, 4)), None, {}, ValueError, "at least one image"),
        (np.zeros((4, 2, 2)), np.zeros(3), {}, ValueError, "3 labels but x has 4"),
        (
            np.full((2, 2, 2), 2.0),
            None,
            {},
            ValueError,
            r"expected floats in \[0, 1\], got float pixels in \[2.0, 2.0\]",
        ),
        (np.full((2, 2, 2), 300), None, {}, ValueError, r"integer pixels in \[300"),
        (np.zeros((2, 2, 2)), [0.5, 1], {}, TypeError, "integer class labels"),
        (np.zeros((2, 2, 2)), [-1, 1], {}, ValueError, "labels >= 0"),
        (np.zeros((2, 2, 2)), [0, 4], {"num_classes": 3}, ValueError, "up to 4"),
        (np.zeros((2, 2, 2)), None, {"scale": False}, ValueError, "float pixels"),
        (np.zeros((2, 2, 2)), None, {"colour": 1}, TypeError, "Unknown option.*colour"),
        (np.zeros((2, 2, 2)), None, {"channels": 2}, ValueError, "channels must be"),
        (np.zeros((2, 2, 2)), None, {"image_size": (0, 3)}, ValueError, "image_size"),
    ],
)
def test_from_arrays_says_what_was_expected(x, y, kwargs, error, message):
    with pytest.raises(error, match=message):
        data.from_arrays(x, y, 2, **kwargs)


def test_mnist_gains_the_new_options(mnist):
    x, y = next(iter(data.load("mnist", "test", 16, image_size=(14, 14), channels=3)))
    assert x.shape == (16, 14, 14, 3) and y.dtype == tf.int64
    part = "test[:200]"

    def images(subset):
        ds = data.load(
            "mnist", part, 64, supervised=False, validation=50, subset=subset
        )
        return _epoch(ds).reshape(-1, 784)

    train, val = images("training"), images("validation")
    assert len(train) == 150 and len(val) == 50
    rows = {row.tobytes() for row in train}
    assert not any(row.tobytes() in rows for row in val)
    np.testing.assert_array_equal(
        np.sort(val.sum(1)), np.sort(images("validation").sum(1))
    )
    about = data.info("mnist")
    assert about.shape == (28, 28, 1) and about.num_classes == 10
    assert about.num_examples == {"train": 60000, "test": 10000}


@pytest.fixture(scope="module")
def fake_fashion(tmp_path_factory):
    """TFDS's own `fashion_mnist`, prepared (with random pixels) in a data dir."""
    root = tmp_path_factory.mktemp("tfds")
    builder = tfds.builder("fashion_mnist", data_dir=str(root))
    rng = np.random.default_rng(0)

    def examples(n):
        for i in range(n):
            image = rng.integers(0, 256, (28, 28, 1), dtype=np.uint8)
            yield i, {"image": image, "label": i % 10}

    built = tfds.dataset_builders.store_as_tfds_dataset(
        name=builder.name,
        version=str(builder.info.version),
        features=builder.info.features,
        split_datasets={"train": examples(40), "test": examples(20)},
        data_dir=str(root / "build"),
        download_config=tfds.download.DownloadConfig(try_download_gcs=False),
    )
    Path(builder.data_dir).parent.mkdir(parents=True)
    Path(built.data_dir).rename(builder.data_dir)
    return root


def _no_network(monkeypatch):
    calls = []

    def unreachable(url, timeout=3.0):
        calls.append(url)
        return False

    monkeypatch.setattr(tfds_source, "host_reachable", unreachable)
    return calls


def test_a_prepared_tfds_dataset_loads_without_network(fake_fashion, monkeypatch):
    calls = _no_network(monkeypatch)
    x, y = _epoch(data.load("fashion_mnist", "train", 16, data_dir=fake_fashion))
    assert x.shape == (40, 28, 28, 1) and np.bincount(y).tolist() == [4] * 10
    x, y = next(
        iter(
            data.load(
                "fashion_mnist",
                "test",
                8,
                data_dir=fake_fashion,
                one_hot=True,
                image_size=(32, 32),
                channels=3,
            )
        )
    )
    assert x.shape == (8, 32, 32, 3) and y.shape == (8, 10)
    about = data.info("fashion_mnist", data_dir=fake_fashion)
    assert about.num_examples == {"train": 40, "test": 20} and about.prepared
    assert about.class_names[0] == "T-shirt/top"
    raw, labels = data.load_numpy("fashion_mnist", "test", data_dir=fake_fashion)
    assert raw.shape == (20, 28, 28, 1) and raw.dtype == np.uint8
    assert calls == []  # prepared: never asked the network


def test_an_unreachable_tfds_dataset_fails_fast_saying_how_to_bring_it(
    tmp_path, monkeypatch
):
    calls = _no_network(monkeypatch)
    start = time.perf_counter()
    with pytest.raises(data.DatasetUnavailableError) as err:
        data.load("svhn_cropped", "train", 32, data_dir=tmp_path)
    assert time.perf_counter() - start < 10
    message = str(err.value)
    assert f"'svhn_cropped' is not prepared in {tmp_path}" in message
    assert "tfds build svhn_cropped" in message and "data_dir=" in message
    assert "from_arrays" in message and "folder" in message
    assert any("stanford.edu" in url for url in calls)  # its homepage's host
    assert isinstance(err.value, FileNotFoundError | ValueError)
    calls.clear()
    with pytest.raises(data.DatasetUnavailableError, match="download=False"):
        data.load("cifar10", "train", 32, data_dir=tmp_path, download=False)
    assert calls == []


def test_unknown_names_suggest_close_tfds_names():
    with pytest.raises(
        ValueError, match="Unknown dataset 'fashion_mnis'.*fashion_mnist"
    ):
        data.load("fashion_mnis", "train", 8)
    with pytest.raises(ValueError, match="cifar10"):
        data.info("cifar_10")


def test_info_of_tfds_names_works_offline_unprepared(tmp_path):
    cifar = data.info("cifar10", data_dir=tmp_path)
    assert cifar.shape == (32, 32, 3) and cifar.num_classes == 10
    assert not cifar.prepared and cifar.num_examples == {}
    faces = data.info("celeb_a", data_dir=tmp_path, image_size=(64, 64))
    assert faces.shape == (64, 64, 3) and faces.num_classes is None  # no label
