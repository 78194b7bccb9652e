"""The keras-gen command line."""

import copy
import json
import math
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

from keras_gen import cards, cli, data, evaluation, presets, training, zoo


def test_console_script_lists_presets():
    exe = shutil.which("keras-gen")
    assert exe, "keras-gen is installed by `pip install -e .[test]`"
    out = subprocess.run([exe, "list"], capture_output=True, text=True, check=True)
    assert "ae_mnist" in out.stdout


def test_info_prints_config_and_metadata(capsys):
    assert cli.main(["info", "ae_mnist"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["class"] == "Autoencoder"
    assert info["metadata"]["metrics"]["command"] == "keras-gen evaluate ae_mnist"


def test_unknown_preset_exits_2_with_one_line_naming_the_closest(capsys):
    assert cli.main(["info", "vea_mnist"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "unknown preset 'vea_mnist': did you mean vae_mnist" in err


def test_list_architectures_prints_the_command_line_names(capsys):
    assert cli.main(["list", "--architectures"]) == 0
    names = capsys.readouterr().out.split()
    assert {"vae", "dcgan", "conditional_gan", "semi_supervised_aae"} <= set(names)
    assert "wgan_gp" in names


def test_evaluate_on_a_subset(mnist, capsys):
    assert (
        cli.main(
            ["evaluate", "ae_mnist", "--limit", "300", "--data-dir", mnist, "--json"]
        )
        == 0
    )
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["examples"] == 300
    assert 0 < metrics["mse"] < 0.05


def test_sample_writes_a_png(tmp_path):
    out = tmp_path / "s.png"
    assert cli.main(["sample", "ae_mnist", "--n", "16", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_quickstart_trains_and_writes_the_figure(mnist, tmp_path, capsys):
    out_dir = tmp_path / "qs"
    argv = ["quickstart", "--epochs", "1", "--out", str(out_dir), "--data-dir", mnist]
    assert cli.main(argv) == 0
    assert [p.name for p in out_dir.iterdir()] == ["samples.png"]
    assert (out_dir / "samples.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    trained = re.search(
        r"trained 1 epochs in (\S+) s; test BCE (\S+) nats/image, MSE (\S+)/pixel", out
    )
    assert trained, out
    seconds, bce, mse = map(float, trained.groups())
    assert all(map(math.isfinite, (seconds, bce, mse))), out
    # One epoch gives ~94 nats and ~0.019 here; 0.5 per pixel would be 543 nats.
    assert 0 < bce < 200 and 0 < mse < 0.05, out
    assert f"wrote {(out_dir / 'samples.png').resolve()}" in out


@pytest.mark.slow
def test_evaluate_anomaly_digit_reports_a_useful_auc(mnist, capsys):
    assert (
        cli.main(
            [
                "evaluate",
                "ae_mnist",
                "--anomaly-digit",
                "1",
                "--epochs",
                "1",
                "--data-dir",
                mnist,
                "--json",
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["digit"] == 1 and result["train_images"] == 60000 - 6742
    # Ones are the simplest digit: an AE trained on the other nine reconstructs them
    # better than its own test digits, so reconstruction error ranks them as normal
    # (README "Anomaly detection": 0.024 after 3 epochs).
    assert result["roc_auc"] < 0.25, result


def test_anomaly_digit_out_of_range_is_refused(capsys):
    assert cli.main(["evaluate", "ae_mnist", "--anomaly-digit", "12"]) == 2
    assert "integer in 0..9" in capsys.readouterr().err


def test_readme_zoo_table_is_current():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert cards.zoo_table() in readme, (
        "regenerate the README table with keras_gen.cards.zoo_table()"
    )


@pytest.mark.slow
def test_train_writes_a_complete_preset_folder(mnist, tmp_path):
    out = tmp_path / "ae_mnist"
    model, meta = training.train_preset(
        "ae_mnist",
        out,
        epochs=1,
        data_dir=mnist,
        verbose=0,
        hidden_units=(32,),
        latent_dim=8,
    )
    names = {p.name for p in out.iterdir()}
    assert {
        "config.json",
        "metadata.json",
        "model.weights.h5",
        "README.md",
        "samples.png",
    } <= names
    assert meta["epochs_done"] == 1 and meta["sha256"] == presets.sha256(
        out / "model.weights.h5"
    )
    card = (out / "README.md").read_text()
    assert f"{meta['metrics']['values']['bce']:.4f}" in card
    assert "keras-gen evaluate ae_mnist" in card


def test_train_seed_replaces_the_model_seed_and_is_recorded(mnist, tmp_path):
    model, meta = training.train_preset(
        "ae_mnist",
        tmp_path / "ae",
        epochs=1,
        data_dir=mnist,
        verbose=0,
        seed=7,
        hidden_units=[8],
        latent_dim=2,
        recipe_overrides={"learning_rate": 5e-4},
    )
    assert model.seed == 7 and meta["recipe"]["seed"] == 7
    assert meta["recipe"]["learning_rate"] == 5e-4
    assert model.optimizer.learning_rate.numpy() == pytest.approx(5e-4)
    assert meta["train_command"] == (
        "keras-gen train ae_mnist --epochs 1 --seed 7 (recipe changed in Python: "
        '{"learning_rate": 0.0005}) (constructor overrides in Python: '
        '{"hidden_units": [8], "latent_dim": 2})'
    )


def test_seed_draws_another_labelled_subset_of_a_semi_supervised_recipe(mnist):
    preset = zoo.get_preset("ssaae_mnist_100labels")

    def labelled(seed):
        recipe = preset.recipe | {
            "semi_supervised": preset.recipe["semi_supervised"] | {"seed": seed}
        }
        ds = evaluation.preset_dataset(
            preset, "train[:2000]", 100, mnist, training=True, recipe=recipe
        )
        x, y = next(iter(ds))
        keep = y.numpy() != data.UNLABELLED
        assert keep.sum() == 100
        return x.numpy()[keep].reshape(100, -1)

    first, again, other = labelled(0), labelled(0), labelled(1)
    same = {tuple(np.round(r, 3)) for r in first}
    assert same == {tuple(np.round(r, 3)) for r in again}
    assert same != {tuple(np.round(r, 3)) for r in other}


def test_train_refuses_epochs_for_a_clustering_schedule(capsys, tmp_path):
    argv = ["train", "dcn_mnist", "--epochs", "3", "--out", str(tmp_path / "x")]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "clustering schedule" in err and "pretrain_epochs" in err
    assert not (tmp_path / "x").exists()  # refused before any work


def test_compile_preset_gives_each_player_its_optimizer_and_keeps_the_recipe():
    preset = zoo.get_preset("gan_mnist")
    recipe = copy.deepcopy(preset.recipe)
    model = zoo.create_model("gan_mnist", **preset.test_overrides)
    training.compile_preset(model, recipe)
    assert model.d_optimizer is not model.g_optimizer
    assert recipe == preset.recipe  # deserializing did not rewrite the configs
    json.dumps(recipe)
    with pytest.raises(ValueError, match="missing \\['g_optimizer'\\]"):
        training.compile_preset(model, {"optimizers": {"d_optimizer": "adam"}})


def test_sample_draws_every_class_from_a_conditional_preset(tmp_path):
    out = tmp_path / "cgan.png"
    assert cli.main(["sample", "cgan_mnist", "--n", "20", "--out", str(out)]) == 0
    assert out.stat().st_size > 1000


def test_moved_names_stay_in_cli_as_deprecated_aliases():
    moved = {
        "compile_preset": training,
        "train_preset": training,
        "finish_preset": training,
        "quickstart": training,
        "anomaly_auc": training,
        "evaluate_preset": evaluation,
        "TEST_COMMAND": evaluation,
        "write_card": cards,
        "zoo_table": cards,
        "EPOCH_BUDGET_FILE": cards,
    }
    for name, module in moved.items():
        with pytest.warns(DeprecationWarning, match=f"{module.__name__}.{name}"):
            assert getattr(cli, name) is getattr(module, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError):
            cli.no_such_name  # noqa: B018


def test_cli_is_argparse_and_dispatch_only():
    source = Path(cli.__file__).read_text()
    assert len(source.splitlines()) < 200
    assert "hasattr(" not in source and "getattr(model" not in source


def _subcommands():
    parser = cli.build_parser()
    actions = [a for a in parser._actions if hasattr(a, "choices") and a.choices]
    return sorted(next(a for a in actions if isinstance(a.choices, dict)).choices)


@pytest.mark.parametrize("command", [None, *_subcommands()])
def test_every_command_has_help(command, capsys):
    argv = ["--help"] if command is None else [command, "--help"]
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: keras-gen") and "--help" in out
    if command is None:
        for name in _subcommands():
            assert name in out
