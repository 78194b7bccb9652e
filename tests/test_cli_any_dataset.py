"""`keras-gen train ARCH --dataset FOLDER` end to end, and the commands that use
the folder it writes (sample, reconstruct, interpolate, evaluate, info).

A folder of 32x32 RGB PNGs written here trains a DCGAN and a convolutional VAE
for one epoch through the installed `keras-gen` script in a subprocess; the
output folders load in Python, sample images of shape (32, 32, 3), hold
TensorBoard image summaries, pictures and a card.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_gen import cli, runs, zoo

from . import harness
from .test_any_shape import write_images
from .test_plot import decoded


def keras_gen_command():
    """The installed console script (beside this Python), else the module."""
    script = Path(sys.executable).parent / "keras-gen"
    return (
        [str(script)] if script.is_file() else [sys.executable, "-m", "keras_gen.cli"]
    )


def run_cli(*args, cwd):
    return harness.run_quietly([*keras_gen_command(), *args], cwd)


def image_tags(log_dir):
    """The tags of the image summaries in the TensorBoard event files under
    `log_dir`, and how many of each."""
    tags = {}
    for path in Path(log_dir).rglob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == "images":
                    tags[value.tag] = tags.get(value.tag, 0) + 1
    return tags


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`{architecture: its run folder}` after one epoch of each, from the CLI."""
    root = tmp_path_factory.mktemp("rgb")
    folder = write_images(root / "images", (32, 32, 3), n=40)
    out = {}
    for name, extra in (("dcgan", []), ("vae", ["--set", "network=conv"])):
        out[name] = root / f"run_{name}"
        done = run_cli(
            "train",
            name,
            "--dataset",
            str(folder),
            "--epochs",
            "1",
            "--batch-size",
            "16",
            "--out",
            str(out[name]),
            "--eval-samples",
            "200",
            *extra,
            cwd=root,
        )
        assert "wrote preset folder" in done.stdout
    return out | {"images": folder}


@pytest.mark.parametrize("name", ["dcgan", "vae"])
def test_a_run_folder_loads_and_samples_the_dataset_shape(trained, name):
    model = zoo.create_model(str(trained[name]))
    assert type(model).__name__ == {"dcgan": "DCGAN", "vae": "VAE"}[name]
    samples = np.asarray(model.sample(5))
    assert samples.shape == (5, 32, 32, 3) and np.all(np.isfinite(samples))
    if name == "vae":
        assert model.network == "conv"
    # The loaded weights are the trained ones: a fresh model samples otherwise.
    fresh = zoo.create_model(str(trained[name]), pretrained=False)
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(model.get_weights(), fresh.get_weights(), strict=True)
    )


@pytest.mark.parametrize("name", ["dcgan", "vae"])
def test_a_run_writes_tensorboard_images_pictures_and_a_card(trained, name):
    folder = trained[name]
    assert image_tags(folder / "logs") == {"samples": 1}
    assert list((folder / "logs" / "train").glob("events.out.tfevents.*"))
    assert (folder / "grids" / "epoch_0001.png").is_file()
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["epochs_done"] == 1 and meta["data_info"]["shape"] == [32, 32, 3]
    assert meta["train_command"].startswith(f"keras-gen train {name} --dataset")
    values = meta["metrics"]["values"]
    assert values and all(np.isfinite(v) for v in values.values())
    card = (folder / "README.md").read_text()
    assert "![" in card and "samples.png" in card and "curves.png" in card
    assert meta["dtype_policy"] == "float32" and "Dtype policy: `float32`" in card
    for picture in ("samples.png", "curves.png"):
        width, height = Image.open(folder / picture).size
        decoded(folder / picture, (width, height), ink=0.01)


def test_the_commands_take_a_run_folder(trained, tmp_path, capsys):
    vae, gan = str(trained["vae"]), str(trained["dcgan"])
    for args, out in (
        (["sample", gan, "-n", "8"], "s.png"),
        (["reconstruct", vae, "-n", "4"], "r.png"),
        (["interpolate", vae, "--pairs", "2", "--steps", "4"], "i.png"),
    ):
        assert cli.main([*args, "--out", str(tmp_path / out)]) == 0
        width, height = Image.open(tmp_path / out).size
        decoded(tmp_path / out, (width, height), ink=0.01)
    capsys.readouterr()
    assert cli.main(["evaluate", vae, "--json"]) == 0
    values = json.loads(capsys.readouterr().out)
    # The images the run held out (10 % of 40), measured again.
    assert values["examples"] == 4 and "held-out" in values["measured_on"]
    recorded = json.loads((trained["vae"] / "metadata.json").read_text())
    # One posterior draw per image: equal up to that draw's noise.
    assert values["reconstruction"] == pytest.approx(
        recorded["metrics"]["values"]["reconstruction"], rel=5e-3
    )
    assert cli.main(["info", vae]) == 0
    assert json.loads(capsys.readouterr().out)["metadata"]["architecture"] == "vae"


def test_an_architecture_trains_from_python_on_a_class_folder(tmp_path):
    folder = write_images(tmp_path / "classes", (8, 8, 1), n=24, classes=3)
    model, meta = runs.train(
        "conditional_gan",
        folder,
        tmp_path / "run",
        epochs=1,
        batch_size=8,
        verbose=0,
        evaluation_samples=50,
    )
    assert model.num_classes == 3 and meta["data_info"]["class_names"]
    assert np.asarray(model.sample(3, labels=[0, 1, 2])).shape == (3, 8, 8, 1)
    assert (tmp_path / "run" / "classes.png").is_file()
    assert "(called from Python)" in meta["train_command"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "dcgna", "--dataset", "x"], "did you mean dcgan"),
        (["train", "vae", "--dataset", "/no/such/folder"], "/no/such/folder"),
        (["train", "vae", "--dataset", "IMAGES", "--set", "network"], "KEY=VALUE"),
        (["train", "cvae", "--dataset", "IMAGES"], "has no classes"),
        (
            ["train", "vae", "--dataset", "IMAGES", "--strategy", "multi_worker"],
            "TF_CONFIG",
        ),
        (["sample", "/no/such/run"], "/no/such/run"),
        (["sample", "dcgan_mnist", "-n", "4", "--labels", "1", "2"], "1 or n=4"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    folder = write_images(tmp_path / "flat", (8, 8, 1), n=4)
    args = [str(folder) if a == "IMAGES" else a for a in args]
    assert cli.main([*args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def readme_block(heading):
    """The ```python block under the README's `## heading`."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_own_images_block_runs(tmp_path):
    # As written, but one epoch and a small evaluation (the README says 20).
    code = readme_block("Your own images")
    assert "epochs=20" in code
    code = code.replace("epochs=20", "epochs=1, evaluation_samples=200")
    code += "assert images.shape == (16, 32, 32, 3), images.shape\n"
    write_images(tmp_path / "my_images", (40, 40, 3), n=24)
    script = tmp_path / "block.py"
    script.write_text(code)
    harness.run_quietly([sys.executable, str(script)], tmp_path)
    assert (tmp_path / "runs/my_dcgan/README.md").is_file()


def test_a_run_on_a_folder_resumes_and_loads_by_class(tmp_path):
    from keras_gen import VAE

    folder = write_images(tmp_path / "images", (8, 8, 1), n=24)
    common = dict(batch_size=8, verbose=0, evaluation_samples=50, likelihood_samples=5)
    _, first = runs.train("vae", folder, tmp_path / "run", epochs=1, **common)
    assert first["epochs_done"] == 1
    model, meta = runs.train(
        "vae", folder, tmp_path / "run", epochs=2, resume=True, **common
    )
    # The second call trains epoch 2 only, on top of the kept state.
    assert meta["epochs_done"] == 2 and meta["resumed_after_epochs"] == [1]
    assert [int(k) for k in meta["history"]] == [1, 2]
    loaded = VAE.from_preset(str(tmp_path / "run"))
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert loaded.sample(3).shape == (3, 8, 8, 1)
