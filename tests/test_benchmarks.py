"""The benchmark scripts run end to end (on tiny settings)."""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from keras_gen import presets

ROOT = Path(__file__).resolve().parents[1]


def _run_script(script, data_dir, *args):
    """Runs `benchmarks/<script>` on the prepared MNIST; raises if it fails."""
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        check=True,
        capture_output=True,
        env={**os.environ, "TFDS_DATA_DIR": data_dir},
    )


def _tables(text):
    """The Markdown tables of a text, each a list of its "| " lines (no rules)."""
    tables, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            if not line.startswith("|-"):
                current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables


@pytest.mark.slow
def test_cae_table_script_produces_all_five_rows(mnist, tmp_path):
    out = tmp_path / "table.md"
    _run_script(
        "cae_table.py",
        mnist,
        "--pretrain-epochs",
        "1",
        "2",
        "--finetune-epochs",
        "1",
        "--train-size",
        "1000",
        "--val-size",
        "500",
        "--out",
        str(out),
    )
    chosen, every = _tables(out.read_text())
    assert len(chosen) == 1 + 6  # header, the random-init control and five models
    cae = chosen[-1].split("|")
    assert "CAE" in cae[1]
    assert 0 <= float(cae[2]) <= 100
    assert float(cae[3]) == 1.14  # the paper's number beside ours
    # Each model's row is its row for one of the two pretraining lengths.
    lengths = [row.split("|")[-2].strip() for row in chosen[1:]]
    assert lengths[0] == "-" and set(lengths[1:]) <= {"1", "2"}
    assert len(every) == 1 + 1 + 5 * 2  # header, the control once, 5 models x 2
    assert all(row in every for row in chosen)


def test_readme_shows_the_committed_cae_table():
    results = (ROOT / "benchmarks" / "results" / "cae_table.md").read_text()
    rows = _tables(results)[0]
    assert len(rows) == 7 and "CAE" in rows[-1]
    readme = (ROOT / "README.md").read_text()
    for row in rows:
        assert row in readme, f"README lacks the measured row {row!r}"


def _validation_error(model, mnist):
    """The share of train[50000:55000] (the benchmarks' validation images) that
    `model.predict_classes` gets wrong, computed here from the arrays."""
    from keras_gen import data

    x, y = data.load_numpy("mnist", "train", data_dir=mnist)
    x = x[50000:55000].astype("float32") / 255.0
    return float(np.mean(np.asarray(model.predict_classes(x)) != y[50000:55000]))


def _benchmark_module(name):
    """Imports benchmarks/<name>.py (a script folder, not a package)."""
    spec = importlib.util.spec_from_file_location(
        f"benchmark_{name}", ROOT / "benchmarks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cae_table_row_averages_seeds_and_keys_name_every_setting():
    bench = _benchmark_module("cae_table")
    args = bench.argparse.Namespace(
        contraction=1.0,
        pretrain_epochs=50,
        train_size=50000,
        val_size=10000,
        tied=True,
        pretrain_optimizer="sgd",
        pretrain_lr=0.01,
        finetune_epochs=200,
        finetune_optimizer="adam",
        finetune_lr=1e-3,
        dropout=0.5,
        input_dropout=0.2,
        probe_epochs=0,
    )
    runs = [
        dict(
            error=e,
            val_error=v,
            epoch=n,
            jacobian=4.0,
            sat=60.0,
            pretrain_seconds=100.0,
            seconds=400.0,
        )
        for e, v, n in [(1.2, 1.1, 150), (1.4, 1.3, 190), (1.3, 1.2, 170)]
    ]
    cells = [c.strip() for c in bench.table_row("CAE", args, runs).split("|")[1:-1]]
    assert cells[0] == "CAE (lambda 1)"
    assert float(cells[1]) == 1.30 and float(cells[2]) == 1.14
    # Each seed's error, then the standard error of their mean: 0.1 / sqrt(3).
    assert cells[3] == "1.20, 1.40, 1.30 (0.06)"
    assert cells[4] == "1.20 (150, 190, 170)"
    assert cells[-1] == "100 + 300"
    (one,) = [bench.table_row("AE", args, runs[:1]).split("|")[1:-1]]
    assert float(one[1]) == 1.2 and "epoch 150" in one[3]
    # With several pretraining lengths the row names its length; the control has
    # none. The chosen length is the one with the lowest mean validation error.
    assert bench.table_row("CAE", args, runs, 100).endswith("| 100 |")
    mlp = "MLP, random init (no pretraining)"
    assert bench.table_row(mlp, args, runs, 100).endswith("| - |")
    worse = [dict(r, val_error=r["val_error"] + 0.05) for r in runs]
    assert bench.choose_length({50: worse, 100: runs}) == 100
    assert bench.choose_length({50: runs, 100: worse}) == 50
    assert bench.choose_length({100: runs, 50: runs}) == 50  # a tie: the shorter
    # Cached encoders and results are told apart by seed and by every setting.
    keys = {
        bench.encoder_key("CAE", 0, args),
        bench.encoder_key("CAE", 1, args),
        bench.encoder_key("DAE-g (Gaussian, sigma 0.3)", 0, args),
    }
    assert len(keys) == 3
    shorter = bench.argparse.Namespace(**{**vars(args), "finetune_epochs": 100})
    assert bench.result_key("CAE", 0, args) != bench.result_key("CAE", 0, shorter)
    assert bench.encoder_key("CAE", 0, args) == bench.encoder_key("CAE", 0, shorter)
    # Random weights share their result whatever the pretraining settings.
    longer = bench.argparse.Namespace(**{**vars(args), "pretrain_epochs": 100})
    mlp = "MLP, random init (no pretraining)"
    assert bench.result_key(mlp, 0, args) == bench.result_key(mlp, 0, longer)
    assert bench.result_key("AE", 0, args) != bench.result_key("AE", 0, longer)


def test_mode_collapse_quick_run_writes_one_row_per_variant(tmp_path):
    bench = _benchmark_module("mode_collapse")
    out = tmp_path / "mode_collapse.md"
    rows = bench.main(["--quick", "--out", str(out)])
    text = out.read_text()
    assert "Command: `python benchmarks/mode_collapse.py --quick" in text
    assert "s wall time" in text
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    assert lines[0].startswith("| variant |")
    table = [line.split("|")[1:-1] for line in lines[1:]]
    assert [cells[0].strip() for cells in table] == [
        variant.label for variant in bench.VARIANTS.values()
    ]
    for cells in table:
        modes, modes_std = (float(v) for v in cells[2].split("+-"))
        quality, quality_std = (float(v) for v in cells[4].split("+-"))
        assert 0 <= modes <= 8 and modes_std == 0  # one seed in quick mode
        assert 0 <= quality <= 100 and quality_std == 0
    assert len(rows) == len(bench.VARIANTS)
    k_steps = {"d_steps_5": 5, "wgan_gp": 5, "wgan_gp_lr": 5}
    for row, cells in zip(rows, table, strict=True):
        (run,) = row["runs"]
        assert 0 <= run["modes_covered"] <= 8
        assert 0 <= run["high_quality"] <= 1
        assert run["d_steps"] == k_steps.get(row["name"], 1) == int(cells[1])


def test_mode_collapse_only_runs_the_named_variant(tmp_path):
    bench = _benchmark_module("mode_collapse")
    out = tmp_path / "only.md"
    rows = bench.main(["--quick", "--only", "minimax", "--out", str(out)])
    assert [row["name"] for row in rows] == ["minimax"]
    assert "--only minimax" in out.read_text()
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--only", "no_such_variant", "--out", str(out)])


def test_mode_collapse_on_the_grid_scores_25_modes(tmp_path):
    bench = _benchmark_module("mode_collapse")
    out = tmp_path / "grid.md"
    names = ["minibatch_discrimination", "feature_matching", "historical_averaging"]
    rows = bench.main(
        ["--quick", "--mixture", "grid", "--only", *names, "--out", str(out)]
    )
    text = out.read_text()
    assert text.startswith("# Mode collapse on the 5 x 5 grid of 25 Gaussians")
    assert "--mixture grid --quick" in text and "modes covered (of 25)" in text
    assert [row["name"] for row in rows] == names
    for row in rows:
        (run,) = row["runs"]
        assert len(run["counts"]) == 25 and 0 <= run["modes_covered"] <= 25
    # The techniques are in the networks and the game, not only in the labels.
    disc = bench.discriminator(minibatch=(4, 3))
    kinds = [type(layer).__name__ for layer in disc.layers]
    assert "MinibatchDiscrimination" in kinds
    assert disc.get_layer("features") is not None
    model = bench.VARIANTS["feature_matching"].build(0)
    assert model.feature_matching == "features"
    assert bench.VARIANTS["historical_averaging"].build(0).historical_averaging > 0


def test_gan_trained_briefly_on_the_ring_covers_several_modes():
    bench = _benchmark_module("mode_collapse")
    samples = 2500
    covered, quality = [], []
    # One seed is noise: seed 0 covered 6 modes in one session and 2 in the next
    # (2, 8, 8 over seeds 0-2 measured 2026-12-02), so the bar is on three seeds.
    for seed in range(3):
        result = bench.run_variant(
            "non_saturating",
            seed=seed,
            steps=800,
            train_points=10_000,
            eval_samples=samples,
            jit_compile=False,
        )
        counts = result["counts"]
        assert len(counts) == 8
        # The coverage numbers agree with each other.
        assert result["modes_covered"] == sum(c >= 1 for c in counts)
        assert sum(counts) == round(result["high_quality"] * samples)
        covered.append(result["modes_covered"])
        quality.append(result["high_quality"])
    # 800 updates already spread the samples over several modes.
    assert np.mean(covered) >= 4, covered
    assert np.mean(quality) >= 0.03, quality


@pytest.mark.slow
def test_gan_ema_script_measures_both_generators(mnist, tmp_path):
    from keras_gen import zoo

    preset = zoo.get_preset("gan_mnist")
    gan = zoo.create_model("gan_mnist", **preset.test_overrides)
    assert gan.ema_decay is not None  # the preset samples from the average
    # Make the two generators differ, as after training.
    for w in gan.generator.trainable_weights:
        w.assign(w + 0.1)
    gan.save_to_preset(tmp_path / "gan", {"dataset": "mnist"})
    out = tmp_path / "ema.md"
    _run_script(
        "gan_ema.py", mnist, "--folder", str(tmp_path / "gan"), "--out", str(out)
    )
    rows = [line for line in out.read_text().splitlines() if line.startswith("| ")]
    assert [r.split("|")[1].strip()[:3] for r in rows[1:]] == ["mov", "raw"]
    scores = [
        float(r.split("parzen_log_likelihood ")[1].split(",")[0]) for r in rows[1:]
    ]
    assert scores[0] != scores[1]


def test_aae_table_reads_the_zoo_and_never_fills_in_a_missing_number(
    mnist, tmp_path, monkeypatch
):
    from keras_gen import zoo

    bench = _benchmark_module("aae_table")
    monkeypatch.setenv("KERAS_GEN_ZOO", str(tmp_path))  # an empty zoo
    runs = tmp_path / "results"  # and no runs over seeds
    runs.mkdir()
    (table,) = _tables(bench.table(runs))
    assert len(table) == 1 + len(bench.ROWS)
    assert all("not trained" in row for row in table[1:])
    # A preset with measured metrics shows them and the command that measured them.
    model = zoo.create_model("aae_mnist", hidden_units=(8,), discriminator_units=(4,))
    metrics = {
        "command": "keras-gen evaluate aae_mnist",
        "values": {"prior_mmd2": 0.25},
    }
    model.save_to_preset(tmp_path / "aae_mnist", {"metrics": metrics})
    (table,) = _tables(bench.table(runs))
    row = next(r for r in table if "MMD" in r)
    assert "| 0.25 |" in row and "keras-gen evaluate aae_mnist" in row
    # A metric measured over seeds shows their mean and each run.
    summary = {
        "metric": "error",
        "chosen_epoch": 20,
        "test_mean": 0.03,
        "test_std": 0.01,
        "runs": [
            {"seed": 0, "test": {"error": 0.02}},
            {"seed": 1, "test": {"error": 0.04}},
        ],
        "command": "python benchmarks/aae_epoch_budget.py seeds ...",
    }
    (runs / "ssaae_mnist_100labels_seeds.json").write_text(json.dumps(summary))
    (table,) = _tables(bench.table(runs))
    row = next(r for r in table if "100 labels" in r)
    assert "3.00 % +- 1.00 % (mean of 2; seed 0: 2.00 %, seed 1: 4.00 %" in row
    assert "aae_epoch_budget.py seeds" in row
    # A later run's file (the highest run number) is shown instead.
    for run, mean in ((3, 0.05), (10, 0.07)):
        later = summary | {"test_mean": mean, "command": f"run {run}"}
        path = runs / f"ssaae_mnist_100labels_run{run}_seeds.json"
        path.write_text(json.dumps(later))
    (table,) = _tables(bench.table(runs))
    row = next(r for r in table if "100 labels" in r)
    assert "7.00 % +- 1.00 %" in row and "`run 10`" in row


def test_ssgan_table_lists_every_run_and_never_fills_in_a_missing_one(tmp_path):
    bench = _benchmark_module("ssgan_table")
    for seed, errors in [(0, 120), (1, 100), (2, 110)]:
        (tmp_path / f"labels100_seed{seed}.json").write_text(
            json.dumps(
                {"labels": 100, "seed": seed, "test_errors": errors, "epochs": 50}
            )
        )
    text = bench.table(tmp_path)
    rows = {line.split("|")[1].strip(): line for line in text.splitlines()[2:]}
    assert set(rows) == {"20", "50", "100", "200"}
    assert "110.0 +- 8.2 (3 seeds)" in rows["100"]
    assert "0: 120, 50 ep, 1: 100, 50 ep, 2: 110, 50 ep" in rows["100"]
    assert "93 +- 6.5" in rows["100"]
    for labels in ("20", "50", "200"):
        assert "not run" in rows[labels]


@pytest.mark.slow
def test_ssgan_table_run_trains_scores_and_writes_its_json(
    mnist, tmp_path, monkeypatch
):
    bench = _benchmark_module("ssgan_table")
    small = ["latent_dim=4", "generator_units=[8]", "discriminator_units=[16, 8]"]
    argv = ["run", "--labels", "20", "--seed", "3", "--epochs", "1"]
    argv += ["--folder", str(tmp_path / "run"), "--runs", str(tmp_path)]
    monkeypatch.setenv("TFDS_DATA_DIR", mnist)
    fewer = ['train_split="train[:1000]"', "train_examples=1000"]
    bench.main([*argv, "--set", *small, "--recipe", *fewer])
    result = json.loads((tmp_path / "labels20_seed3.json").read_text())
    assert result["labels"] == 20 and result["seed"] == 3 and result["epochs"] == 1
    assert result["test_errors"] == round(result["test_error"] * 10_000)
    model = presets.load_preset_folder(tmp_path / "run")  # its last epoch, epoch 1
    assert result["validation_error"]["1"] == pytest.approx(
        _validation_error(model, mnist), abs=1e-6
    )
    assert "--labels 20 --seed 3" in result["command"]
    meta = json.loads((tmp_path / "run" / "metadata.json").read_text())
    assert meta["recipe"]["semi_supervised"]["labelled_per_class"] == 2
    assert meta["recipe"]["semi_supervised"]["seed"] == 3
    assert meta["recipe"]["train_split"] == "train[:1000]"


@pytest.mark.parametrize("library", [False, True])
def test_ssgan_port_trains_and_logs_each_epoch(mnist, tmp_path, monkeypatch, library):
    bench = _benchmark_module("ssgan_port")
    monkeypatch.setenv("TFDS_DATA_DIR", mnist)
    out = tmp_path / "port.json"
    argv = ["--epochs", "2", "--steps-per-epoch", "3", "--out", str(out)]
    if library:
        argv += ["--library-discriminator", "--library-generator"]
    bench.main(argv)
    log = json.loads(out.read_text())
    assert [row["epoch"] for row in log["epochs"]] == [1, 2]
    for row in log["epochs"]:
        # A share of the 5,000 validation images (train[50000:55000]), so a whole
        # number of them: an averaged probability or another divisor would fail.
        wrong = row["validation_error"] * 5000
        assert wrong == pytest.approx(round(wrong), abs=1e-6) and 0 < wrong < 5000
        assert row["sample_pixel_std"] > 0 and np.isfinite(row["feature_matching"])
    assert log["command"].startswith("python benchmarks/ssgan_port.py --epochs 2")
    assert log["arguments"]["library_discriminator"] == str(library)


def test_ssgan_port_table_prints_a_row_per_run_and_marks_missing_epochs(
    tmp_path, capsys
):
    bench = _benchmark_module("ssgan_port_table")
    for name, errors in [("a", [0.5, 0.25]), ("b", [0.125])]:
        command = f"python benchmarks/ssgan_port.py --epochs 2 --out {name}.json"
        epochs = [{"epoch": i + 1, "validation_error": e} for i, e in enumerate(errors)]
        (tmp_path / f"{name}.json").write_text(
            json.dumps({"command": command, "epochs": epochs})
        )
    bench.main(sorted(str(p) for p in tmp_path.glob("*.json")))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| run | flags | ep 1 | ep 2 |")
    assert lines[2] == "| a | `--epochs 2` | 50.0 % | 25.0 % |"
    assert lines[3] == "| b | `--epochs 2` | 12.5 % | - |"


def test_epoch_budget_assignments_parse_json_values():
    bench = _benchmark_module("aae_epoch_budget")
    parsed = bench.assignments(["a=1", 'b={"c": [1, 2]}', "d=null"], "--set")
    assert parsed == {"a": 1, "b": {"c": [1, 2]}, "d": None}
    with pytest.raises(SystemExit, match="KEY=JSON"):
        bench.assignments(["novalue"], "--set")
    with pytest.raises(SystemExit, match="not JSON"):
        bench.assignments(["a=[1,"], "--set")


@pytest.mark.slow
def test_epoch_budget_seeds_choose_on_validation_and_ship_a_snapshot(
    mnist, tmp_path, monkeypatch
):
    bench = _benchmark_module("aae_epoch_budget")
    monkeypatch.setenv("TFDS_DATA_DIR", mnist)
    small = ["latent_dim=3", "hidden_units=[16]", "discriminator_units=[8]"]
    fewer = ['train_split="train[:1000]"', "train_examples=1000"]
    name = "ssaae_mnist_100labels"
    folders = [str(tmp_path / f"s{seed}") for seed in (0, 1)]
    for seed, folder in enumerate(folders):
        argv = ["train", name, folder, "--snapshots", "1", "2", "--seed", str(seed)]
        monkeypatch.setattr(
            sys, "argv", ["x", *argv, "--set", *small, "--recipe", *fewer]
        )
        bench.main()
    out = tmp_path / "seeds.md"
    monkeypatch.setattr(
        sys,
        "argv",
        ["x", "seeds", name, *folders, "--metric", "error", "--out", str(out)],
    )
    bench.main()
    summary = json.loads(out.with_suffix(".json").read_text())
    means = {int(e): m for e, m in summary["validation_mean"].items()}
    assert summary["chosen_epoch"] == min(means, key=means.get)
    assert [r["seed"] for r in summary["runs"]] == [0, 1]
    errors = [r["test"]["error"] for r in summary["runs"]]
    assert summary["test_mean"] == pytest.approx(np.mean(errors))
    assert f"chosen: epoch {summary['chosen_epoch']}" in out.read_text()

    shipped = tmp_path / "zoo"
    argv = ["ship", name, folders[0], "1", "--out", str(shipped), "--budget", str(out)]
    monkeypatch.setattr(sys, "argv", ["x", *argv])
    bench.main()
    meta = json.loads((shipped / "metadata.json").read_text())
    assert meta["epochs_done"] == 1 and list(meta["history"]) == ["1"]
    assert "--epochs 1 --seed 0" in meta["train_command"]
    assert "epoch-1 snapshot of a 2-epoch run" in meta["train_note"]
    assert (shipped / "epoch_budget.md").read_text() == out.read_text()
    model = presets.load_preset_folder(shipped)
    model.load_weights(Path(folders[0]) / "snapshots" / "epoch_1.weights.h5")
    # The shipped weights are the epoch-1 snapshot rounded to float16.
    again = presets.load_preset_folder(shipped)
    presets.round_weights(model, "float16")
    for a, b in zip(model.weights, again.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_labels_only_baseline_trains_on_the_labelled_subset_and_scores(
    mnist, monkeypatch
):
    bench = _benchmark_module("labels_only_baseline")
    monkeypatch.setenv("TFDS_DATA_DIR", mnist)
    row = bench.run(seed=0, per_class=2, steps=50)
    assert row["labelled"] == 20 and row["steps"] == 50
    # 50 steps on 20 labelled images beat chance (90 % error) but stay far from 0.
    assert 0.2 < row["test_error"] < 0.85 and 0.2 < row["validation_error"] < 0.85


@pytest.mark.slow
def test_epoch_budget_names_a_clustering_snapshots_clusters_before_scoring(
    mnist, tmp_path, monkeypatch
):
    bench = _benchmark_module("aae_epoch_budget")
    monkeypatch.setenv("TFDS_DATA_DIR", mnist)
    small = ["num_classes=5", "latent_dim=3", "hidden_units=[16]"]
    small.append("discriminator_units=[8]")
    fewer = ['train_split="train[:500]"', "train_examples=500"]
    name, folder = "aae_cluster16_mnist", str(tmp_path / "c")
    argv = ["train", name, folder, "--snapshots", "1", "--set", *small]
    monkeypatch.setattr(sys, "argv", ["x", *argv, "--recipe", *fewer])
    bench.main()
    # Snapshots are taken during fit, before fit_recipe names the clusters.
    model = presets.load_preset_folder(folder)
    model.load_weights(Path(folder) / "snapshots" / "epoch_1.weights.h5")
    assert (model.cluster_names.numpy() < 0).all()
    [row] = bench.snapshot_rows(name, folder)
    preset = bench.zoo.get_preset(name)
    named = bench.load_snapshot(model, preset, folder, 1)
    assert (named.cluster_names.numpy() >= 0).all()
    assert row["paper_rule_error"] == pytest.approx(
        _validation_error(named, mnist), abs=1e-6
    )


def test_gpu_smoke_says_there_is_no_gpu_and_exits_0(tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_smoke.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "no GPU on this machine" in done.stdout
    assert not (tmp_path / "gpu_smoke.jsonl").exists()


def test_gpu_smoke_runs_on_the_cpu_under_both_strategies(tmp_path):
    # The code a GPU run takes, on 2 logical CPUs with mixed_bfloat16; WGAN-GP
    # takes 5 minibatches a step.
    out = tmp_path / "rows.jsonl"
    args = ["--allow-cpu", "--steps", "2", "--warmup", "1", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_smoke.py"), *args]
        + ["--presets", "gan_mnist", "wgan_gp_mnist"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["preset"], r["replicas"], r["policy"]) for r in rows] == [
        ("gan_mnist", 1, "float32"),
        ("gan_mnist", 2, "mixed_bfloat16"),
        ("wgan_gp_mnist", 1, "float32"),
        ("wgan_gp_mnist", 2, "mixed_bfloat16"),
    ]
    assert all(r["finite_logs"] and r["images_per_s"] > 0 for r in rows)


def test_200_epochs_grow_resident_memory_by_at_most_10_percent(tmp_path):
    # The long-run stability rule (issue 24), on a GAN's small network: two
    # optimizers, noise every step (about 25 s here).
    out = tmp_path / "rss.md"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "rss_stability.py"),
            "--preset",
            "gan_mnist",
            "--epochs",
            "200",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    text = out.read_text()
    rows = _tables(text)[0][1:]
    assert [r.split("|")[1].strip() for r in rows] == [
        "1",
        "2",
        "10",
        "50",
        "100",
        "200",
    ]
    assert all(float(r.split("|")[2]) > 100 for r in rows)  # MiB of a TF process
    assert "<= +10 %: met" in text and done.returncode == 0, text
    # The verdict is of the largest growth at any epoch, recomputed from the table
    # (its rows are a sample of the epochs, so they bound it from below).
    mib = [float(r.split("|")[2]) for r in rows]
    largest = float(re.search(r"largest, at any epoch: ([-+\d.]+) %", text)[1])
    assert largest >= 100 * (max(mib) / mib[0] - 1) - 0.05, (largest, mib)
    assert largest <= 10


def test_throughput_smoke_prints_one_row_per_family_with_its_ratios(tmp_path):
    # Checks that the script runs and prints its table, not speed.
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "throughput.py"), "ae", "aae"]
        + ["--smoke"],
        check=True,
        capture_output=True,
        text=True,
    )
    (table,) = _tables(done.stdout)
    assert table[0].startswith("| family | preset | batch | keras_gen spe, jit |")
    rows = [line.split("|")[1:-1] for line in table[1:]]
    assert [r[0].strip() for r in rows] == ["ae", "aae"]
    assert rows[0][3].strip() == "50, on"  # ae_mnist's recipe: XLA, 50 steps
    for row in rows:
        ours, hand = (float(row[i].replace(",", "")) for i in (4, 5))
        assert ours > 0 and hand > 0
        assert row[7].strip() == f"{ours / hand:.2f}x"
        assert float(row[9]) > 0  # MFLOP per image, from TensorFlow's profiler
    torch_cells = {r[6].strip() for r in rows}
    assert torch_cells == {"n/a"} or all(c != "n/a" for c in torch_cells)


def test_throughput_options_and_data_wait_smoke_print_their_tables(mnist):
    done = _run_script("throughput.py", mnist, "ae", "--options", "--smoke")
    (table,) = _tables(done.stdout.decode())
    assert len(table) == 2 and table[1].split("|")[-2].strip().startswith("spe ")
    done = _run_script("data_wait.py", mnist, "vae_mnist", "--smoke")
    (table,) = _tables(done.stdout.decode())
    row = table[1].split("|")
    assert row[1].strip() == "vae_mnist" and row[4].strip().endswith("%")
    low, high = map(float, row[5].split("-"))  # one run: its range is its median
    assert low == high == float(row[2])


def test_the_style_probe_reads_a_class_from_z_only_when_z_carries_it(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    bench = _benchmark_module("ssaae_diagnose")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 2000)
    centres = rng.normal(0, 3, (10, 4))

    class Heads:
        def __init__(self, carries_class):
            self.carries = carries_class

        def _heads(self, x):
            rows = x.numpy().astype(int)
            z = rng.normal(0, 1, (len(rows), 4))
            return None, z + centres[rows] if self.carries else z

    batches = [
        (tf.constant(labels[i : i + 500]), tf.constant(labels[i : i + 500]))
        for i in range(0, 2000, 500)
    ]
    assert bench.z_probe_error(Heads(True), batches) < 0.1
    assert bench.z_probe_error(Heads(False), batches) > 0.8


@pytest.mark.slow
def test_step_overhead_switches_off_exactly_the_parts_it_names(monkeypatch):
    # The switched-off variants must really skip the checks: a NaN batch is refused
    # by the shipped fit and trains through without them.
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    bench = _benchmark_module("step_overhead")
    family = bench.throughput.Family("ae_mnist", 8, 16)
    x = bench.throughput._images(16)
    x[9] = np.nan
    runs = bench.variants(family, x)
    assert list(runs) == [
        "fit",
        "fit, no batch checks",
        "fit, no guard",
        "fit, neither",
        "hand-written TF (XLA)",
    ]
    for name in ("fit", "fit, no guard"):
        with pytest.raises(ValueError, match="expected finite input values"):
            runs[name]()
    runs["fit, neither"]()  # NaN losses, no check and no guard to stop them
    with pytest.raises(bench.guard.NonFiniteLossError, match="none is saved"):
        runs["fit, no batch checks"]()  # the guard still stops the NaN step
