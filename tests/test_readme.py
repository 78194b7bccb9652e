"""The README's Python block runs as written, on the prepared MNIST, offline."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# keras_gen's deprecated names warn at their caller: the README's own lines
# (module __main__) or keras_gen itself. Either is an error, other libraries' not.
PRELUDE = (
    "import warnings\n"
    "warnings.filterwarnings('error', category=DeprecationWarning, "
    "module=r'(__main__|keras_gen(\\..*)?)$')\n"
)


def readme_python_block():
    """The ```python block under the README's "## Use" heading."""
    text = (ROOT / "README.md").read_text()
    assert "\n## Use\n" in text, "README.md has no '## Use' section"
    section = text.split("\n## Use\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "no ```python block under '## Use' in README.md"
    return match.group(1)


def _run(code, cwd, data_dir, timeout):
    env = dict(os.environ, TFDS_DATA_DIR=str(data_dir), TF_CPP_MIN_LOG_LEVEL="2")
    # The checkout's keras_gen, whatever is installed.
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    script = Path(cwd) / "readme_block.py"
    script.write_text(PRELUDE + code)
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_deprecated_keras_gen_name_fails_the_run(tmp_path, mnist):
    # What the README test relies on: keras_gen's alias is an error, not a warning.
    code = "import keras_gen\nkeras_gen.metrics.frechet_distance\n"
    out = _run(code, tmp_path, mnist, timeout=300)
    assert out.returncode != 0
    assert "DeprecationWarning: keras_gen.metrics.frechet_distance" in out.stderr


@pytest.mark.slow
def test_readme_python_block_runs(tmp_path, mnist):
    # Loads four presets, evaluates one, trains an AE and a GAN on MNIST. The AE's
    # 10 epochs become 1 here: every line still runs as written (87 s of the
    # block's 150 s on a CPU were the 9 further epochs, which test nothing more).
    block = readme_python_block()
    assert block.count("epochs=10") == 1, "the README's AE no longer trains 10 epochs"
    out = _run(block.replace("epochs=10", "epochs=1"), tmp_path, mnist, timeout=1800)
    assert out.returncode == 0, out.stderr[-3000:]
    # Its prints: the AE's card numbers, an FID and a log-likelihood.
    assert "'bce'" in out.stdout and "'examples': 10000" in out.stdout, out.stdout
