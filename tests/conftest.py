"""Session setup: two logical CPUs (before TensorFlow starts) and prepared MNIST."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

# Must run before TensorFlow initializes its devices, so at import of the conftest.
_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(2)]
)


# Whole files of end-to-end runs (subprocesses, real MNIST training, card
# re-measurement): marked slow, so `pytest -m "not slow"` is the fast tier.
SLOW_FILES = {
    "test_benchmarks.py",
    "test_cli_any_dataset.py",
    "test_determinism.py",
    "test_multi_worker.py",
    "test_packaging.py",
    "test_readme.py",
    "test_resume.py",
    "test_resume_cli.py",
    "test_resume_distributed.py",
    "test_resume_midepoch.py",
    "test_zoo.py",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def two_replicas():
    """One MirroredStrategy over the two logical CPUs for the whole session.

    Several strategy objects in one process can reuse collective instance keys and
    fail with shape mismatches, so the tests share this one.
    """
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


@pytest.fixture(scope="session")
def mnist():
    """Prepares real MNIST once (offline) and returns the TFDS data dir.

    Under pytest-xdist every worker asks; a file lock lets the first build it and
    the others find it built.
    """
    from filelock import FileLock

    from keras_gen import data

    root = Path(data.default_data_dir())
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root / ".keras_gen_prepare.lock")):
        return data.prepare("mnist")


@pytest.fixture(scope="session")
def mnist_test_arrays(mnist):
    """MNIST test images as float32 in [0, 1], [10000, 28, 28, 1], and labels."""
    from keras_gen import data

    x, y = data.load_numpy("mnist", "test", data_dir=mnist)
    return x.astype("float32") / 255.0, y
