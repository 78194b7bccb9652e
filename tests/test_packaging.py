"""The installed wheel finds its presets offline; the code passes ruff."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from keras_gen import zoo

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.fail(
            "ruff is part of the [test] extra; install it with the README command"
        )
    result = subprocess.run([ruff, "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_wheel_loads_pretrained_preset_in_an_empty_directory(tmp_path, mnist):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("keras_gen-*.whl")
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    script = (
        "import json, keras_gen\n"
        "from keras_gen.evaluation import evaluate_preset\n"
        "m = keras_gen.zoo.create_model('ae_mnist', pretrained=True)\n"
        f"r = evaluate_preset('ae_mnist', limit=1000, data_dir={str(mnist)!r})\n"
        "import hashlib\n"
        "def digest(model):\n"
        "    h = hashlib.sha256()\n"
        "    for w in model.get_weights():\n"
        "        h.update(w.tobytes())\n"
        "    return h.hexdigest()\n"
        "names = keras_gen.zoo.list_models(pretrained=True)\n"
        "digests = {n: digest(keras_gen.zoo.create_model(n, pretrained=True))\n"
        "           for n in names}\n"
        "print(json.dumps({'file': keras_gen.__file__,\n"
        "  'zoo': str(keras_gen.zoo.zoo_dir()),\n"
        "  'listed': names, 'bce': r['bce'], 'digests': digests}))\n"
    )
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KERAS_GEN_ZOO")
    }
    env["PYTHONPATH"] = str(site)
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["file"].startswith(str(site))
    assert result["zoo"].startswith(str(site))
    assert "ae_mnist" in result["listed"]
    card = json.loads((ROOT / "zoo" / "ae_mnist" / "metadata.json").read_text())
    assert result["bce"] == pytest.approx(card["metrics"]["values"]["bce"], rel=0.08)
    # Every shipped preset loads from the wheel with the same weights as from the
    # source checkout, where test_zoo reproduces its card.
    assert sorted(result["digests"]) == zoo.list_models(pretrained=True)
    for name, digest in result["digests"].items():
        model = zoo.create_model(name, pretrained=True)
        here = hashlib.sha256()
        for w in model.get_weights():
            here.update(w.tobytes())
        assert digest == here.hexdigest(), name


def test_gan_presets_load_in_a_fresh_process():
    # Custom layers (Maxout) must be registered by `import keras_gen` alone.
    import subprocess
    import sys

    code = (
        "import keras_gen\n"
        "for name in ('gan_mnist', 'cgan_mnist'):\n"
        "    keras_gen.zoo.create_model(name, pretrained=True)\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")
