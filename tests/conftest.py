"""Session setup: two logical CPUs (before TensorFlow starts) and prepared MNIST."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import sys  # noqa: E402

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from . import cli_coverage  # noqa: E402

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


def pytest_configure(config):
    # One folder for the whole run, made by the controller before the xdist workers
    # start (they inherit the environment): see tests/cli_coverage.py.
    if not hasattr(config, "workerinput"):
        os.environ[cli_coverage.ENV] = tempfile.mkdtemp(prefix="keras_gen_cli_")


@pytest.fixture(scope="session", autouse=True)
def _record_cli_command_lines():
    """Every `cli.main` call of the session is logged for the check after the run."""
    from keras_gen import cli

    original = cli.main

    def main(argv=None):
        status = "raised"
        try:
            status = original(argv)
        except SystemExit as exit_:
            status = exit_.code
            raise
        except BaseException as err:
            status = type(err).__name__
            raise
        finally:
            cli_coverage.record(sys.argv[1:] if argv is None else list(argv), status)
        return status

    cli.main = main
    yield
    cli.main = original


def _ran_whole_suite(session):
    """No selection: the configured test paths, no -k, no -m, nothing deselected."""
    opt = session.config.option
    return (
        not opt.keyword
        and not opt.markexpr
        and not opt.collectonly
        and not getattr(opt, "lf", False)
        and session.config.args == session.config.getini("testpaths")
        and session.testscollected > 0
    )


def pytest_sessionfinish(session, exitstatus):
    """After a whole run: fail it if a CLI command or option never went through
    `cli.main` in any worker."""
    if hasattr(session.config, "workerinput") or not _ran_whole_suite(session):
        return
    from keras_gen import cli

    folder = os.environ.get(cli_coverage.ENV)
    gaps = cli_coverage.missing(cli.build_parser(), cli_coverage.read(folder))
    if gaps:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "CLI options that no test passed through cli.main: " + ", ".join(gaps)
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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
