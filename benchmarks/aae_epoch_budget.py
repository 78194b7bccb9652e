"""How a preset's metrics move with the epoch budget (written for the adversarial
autoencoders, used for the GANs too), measured on validation images
(train[50000:]), never on the test split.

`train` runs the preset's recipe (`keras_gen.training.train_preset`, as
`keras-gen train` does) into a folder, keeping a copy of the weights at chosen
epochs; `measure` evaluates every copy on validation images with the preset's
evaluators and writes a Markdown table, the rule for choosing the budget beside it.

    python benchmarks/aae_epoch_budget.py train aae_gaussian_mnist outputs/aae_g \
        --snapshots 10 20 30 40 50
    python benchmarks/aae_epoch_budget.py measure aae_gaussian_mnist outputs/aae_g \
        --out benchmarks/results/aae_gaussian_mnist_budget.md

`--set KEY=JSON` replaces a constructor argument of the run's model (a candidate
configuration, e.g. `--set label_smoothing=0.1`), `--recipe KEY=JSON` a recipe
entry (e.g. `--recipe 'semi_supervised={"labelled_per_class": 2}'`).

Over several seeds, `seeds` scores every run's snapshots on validation images,
chooses the epoch with the best mean of one metric over the runs (the rule fixed
before any test number is seen), then measures each run's test metrics at that
epoch (on the weights as the zoo would store them) and writes a Markdown table and
a JSON file that `aae_table.py` reads; `ship` finishes one run's snapshot as a
preset folder (its metadata truncated to the snapshot's epochs):

    python benchmarks/aae_epoch_budget.py seeds ssaae_mnist_100labels \
        outputs/ssaae_s0 outputs/ssaae_s1 outputs/ssaae_s2 --metric error \
        --out benchmarks/results/ssaae_mnist_100labels_seeds.md
    python benchmarks/aae_epoch_budget.py ship ssaae_mnist_100labels \
        outputs/ssaae_s0 15 --out zoo/ssaae_mnist_100labels \
        --budget benchmarks/results/ssaae_mnist_100labels_seeds.md

Validation images: train[50000:55000] are scored; a metric's own hyperparameter
(the Parzen sigma) is chosen on train[55000:56000].
"""

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from keras_gen import cards, evaluation, presets, training, zoo
from keras_gen.callbacks import WeightSnapshots

SCORED, TUNING = "train[50000:55000]", "train[55000:56000]"


def assignments(pairs, flag):
    """`{key: value}` of `KEY=JSON` strings."""
    out = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"{flag} takes KEY=JSON, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError as err:
            raise SystemExit(f"{flag} {key}: {value!r} is not JSON ({err})") from err
    return out


def train(args):
    snapshots = WeightSnapshots(Path(args.folder) / "snapshots", args.snapshots)
    training.train_preset(
        args.preset,
        args.folder,
        epochs=max(args.snapshots),
        callbacks=[snapshots],
        verbose=2,
        seed=args.seed,
        recipe_overrides=assignments(args.recipe, "--recipe"),
        resume=args.resume,
        **assignments(args.set, "--set"),
    )


def snapshot_path(folder, epoch):
    return Path(folder) / "snapshots" / f"epoch_{epoch}.weights.h5"


def snapshot_epochs(folder):
    """The epochs of the snapshots in `folder`, in order."""
    paths = (Path(folder) / "snapshots").glob("epoch_*.weights.h5")
    return sorted(int(p.stem.split("_")[1].split(".")[0]) for p in paths)


def load_snapshot(model, preset, folder, epoch, dtype=None):
    """The snapshot's weights into `model` (rounded to `dtype` as the zoo stores
    them, when given); a clustering model's clusters are then named on the
    recipe's training images (`fit_recipe` names them once training ends, so a
    snapshot taken during `fit` holds no names)."""
    model.load_weights(snapshot_path(folder, epoch))
    presets.round_weights(model, dtype)
    if hasattr(model, "name_clusters"):
        train = evaluation.preset_dataset(
            preset, preset.recipe["train_split"], 1000, shuffle=False, supervised=True
        )
        xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in train], strict=True)
        model.name_clusters(np.concatenate(xs), np.concatenate(ys))
    return model


def snapshot_rows(name, folder):
    """The validation metrics of every snapshot in `folder`, one dict per epoch."""
    preset = zoo.get_preset(name)
    model = presets.load_preset_folder(folder)
    supervised = preset.recipe.get("supervised_metrics", False)

    def split(name):
        return evaluation.preset_dataset(
            preset, name, 500, shuffle=False, supervised=supervised
        )

    options = {"validation": split(TUNING)}
    if "sample_metrics" in preset.recipe:
        options["metrics"] = tuple(preset.recipe["sample_metrics"])
    kinds = evaluation.capabilities(type(model), preset.recipe)
    rows = []
    for epochs in snapshot_epochs(folder):
        load_snapshot(model, preset, folder, epochs)
        start = time.perf_counter()
        values = evaluation.evaluate(model, split(SCORED), kinds, **options)
        values.pop("examples", None)
        rows.append({"epochs": epochs, **values})
        print(json.dumps(rows[-1]), f"{time.perf_counter() - start:.0f} s", flush=True)
    return rows


def measure(args):
    rows = snapshot_rows(args.preset, args.folder)
    keys = [k for k in rows[0] if k != "epochs"]
    lines = [
        f"# {args.preset}: validation metrics against epochs",
        "",
        f"Snapshots of one run of the preset's recipe, scored on {SCORED} (the "
        f"Parzen sigma chosen on {TUNING}) by",
        "",
        "    " + " ".join(["python benchmarks/aae_epoch_budget.py", *sys.argv[1:]]),
        "",
        "| epochs | " + " | ".join(keys) + " |",
        "|---" * (len(keys) + 1) + "|",
    ]
    for row in rows:
        cells = [f"{row[k]:.4g}" for k in keys]
        lines.append(f"| {row['epochs']} | " + " | ".join(cells) + " |")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("wrote", args.out)


def cached_rows(name, folder):
    """`snapshot_rows`, kept in `folder/validation_rows.json` (the snapshots do
    not change once written, and scoring them takes minutes)."""
    cache = Path(folder) / "validation_rows.json"
    epochs = snapshot_epochs(folder)
    if cache.exists():
        rows = json.loads(cache.read_text())
        if [r["epochs"] for r in rows] == epochs:
            return rows
    rows = snapshot_rows(name, folder)
    cache.write_text(json.dumps(rows, indent=1) + "\n")
    return rows


def choose_epoch(runs, metric, maximize=False):
    """The epoch every run has a snapshot of with the best mean `metric`, and the
    means by epoch."""
    common = set.intersection(*({r["epochs"] for r in rows} for rows in runs))
    if not common:
        raise SystemExit("the runs share no snapshot epoch")
    means = {
        e: float(
            np.mean([r[metric] for rows in runs for r in rows if r["epochs"] == e])
        )
        for e in sorted(common)
    }
    pick = max if maximize else min
    return pick(means, key=means.get), means


def seeds(args):
    preset = zoo.get_preset(args.preset)
    runs = [cached_rows(args.preset, folder) for folder in args.folders]
    epoch, means = choose_epoch(runs, args.metric, args.maximize)
    results = []
    for folder in args.folders:
        meta = presets.read_metadata_file(folder)
        model = load_snapshot(
            presets.load_preset_folder(folder),
            preset,
            folder,
            epoch,
            dtype=preset.recipe.get("weights_dtype"),
        )
        start = time.perf_counter()
        values = evaluation.evaluate_preset(args.preset, model=model)
        values.pop("examples", None)
        results.append(
            {
                "folder": str(folder),
                "seed": meta["recipe"].get("seed"),
                "train_command": meta["train_command"],
                "epochs_trained": meta["epochs_done"],
                "test": values,
                "test_wall_time_s": round(time.perf_counter() - start, 1),
            }
        )
        print(json.dumps(results[-1]), flush=True)
    test = np.array([r["test"][args.metric] for r in results])
    summary = {
        "preset": args.preset,
        "metric": args.metric,
        "rule": f"{'highest' if args.maximize else 'lowest'} mean validation "
        f"{args.metric} ({SCORED}) over the runs",
        "chosen_epoch": epoch,
        "validation_mean": {str(e): m for e, m in means.items()},
        "validation": {
            str(f): rows for f, rows in zip(args.folders, runs, strict=True)
        },
        "runs": results,
        "test_mean": float(test.mean()),
        "test_std": float(test.std()),
        "command": " ".join(["python benchmarks/aae_epoch_budget.py", *sys.argv[1:]]),
    }
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(summary, indent=1) + "\n")
    out.write_text(seeds_markdown(summary))
    print("wrote", out, "and", out.with_suffix(".json"))


def seeds_markdown(summary):
    metric, folders = summary["metric"], list(summary["validation"])
    lines = [
        f"# {summary['preset']}: {metric} over {len(folders)} runs",
        "",
        "    " + summary["command"],
        "",
        f"Validation {metric} of each run's snapshots ({SCORED}):",
        "",
        "| epochs | " + " | ".join(folders) + " | mean |",
        "|---" * (len(folders) + 2) + "|",
    ]
    for epoch, mean in summary["validation_mean"].items():
        cells = [
            f"{r[metric]:.4g}"
            for rows in summary["validation"].values()
            for r in rows
            if str(r["epochs"]) == epoch
        ]
        lines.append(f"| {epoch} | " + " | ".join(cells) + f" | {mean:.4g} |")
    lines += [
        "",
        f"Rule (fixed before the test split was scored): {summary['rule']}; "
        f"chosen: epoch {summary['chosen_epoch']}.",
        "",
        f"Test {metric} at epoch {summary['chosen_epoch']} (10,000 test images):",
        "",
        "| run | seed | test " + metric + " | trained by |",
        "|---|---|---|---|",
    ]
    for run in summary["runs"]:
        lines.append(
            f"| {run['folder']} | {run['seed']} | {run['test'][metric]:.4g} | "
            f"`{run['train_command']}` |"
        )
    lines += [
        "",
        f"Mean {summary['test_mean']:.4g}, std {summary['test_std']:.4g} "
        f"(population std over {len(summary['runs'])} runs).",
    ]
    return "\n".join(lines) + "\n"


def ship(args):
    """The run's snapshot of `epoch` as a preset folder, measured on the test split."""
    meta = presets.read_metadata_file(args.folder)
    preset = zoo.get_preset(args.preset)
    model = presets.load_preset_folder(args.folder)
    load_snapshot(model, preset, args.folder, args.epoch)
    done = meta["epochs_done"]
    meta = meta | {
        "history": {k: v for k, v in meta["history"].items() if int(k) <= args.epoch},
        "epochs_done": args.epoch,
        "recipe": meta["recipe"] | {"epochs": args.epoch},
        "train_command": meta["train_command"].replace(
            f"--epochs {done}", f"--epochs {args.epoch}"
        ),
        # Keras logs no wall time per epoch here: the run's share of its epochs.
        "train_wall_time_s": round(meta["train_wall_time_s"] * args.epoch / done, 1),
        "train_note": f"the weights are the epoch-{args.epoch} snapshot of a "
        f"{done}-epoch run of the same recipe (constant learning rates, so its "
        f"first {args.epoch} epochs are this recipe), chosen on validation images "
        f"({cards.EPOCH_BUDGET_FILE}); wall time {args.epoch}/{done} of the run's"
        + (f"; {args.note}" if args.note else ""),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.budget:
        shutil.copyfile(args.budget, out / cards.EPOCH_BUDGET_FILE)
    training.finish_preset(args.preset, out, model=model, metadata=meta)
    print("wrote", out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("preset")
    t.add_argument("folder")
    t.add_argument("--snapshots", type=int, nargs="+", required=True)
    t.add_argument("--seed", type=int, help="model and labelled-subset seed")
    t.add_argument("--set", nargs="+", metavar="KEY=JSON", help="model arguments")
    t.add_argument("--recipe", nargs="+", metavar="KEY=JSON", help="recipe entries")
    t.add_argument("--resume", action="store_true", help="continue a stopped run")
    m = sub.add_parser("measure")
    m.add_argument("preset")
    m.add_argument("folder")
    m.add_argument("--out", required=True)
    s = sub.add_parser("seeds")
    s.add_argument("preset")
    s.add_argument("folders", nargs="+")
    s.add_argument("--metric", required=True)
    s.add_argument("--maximize", action="store_true", help="higher is better")
    s.add_argument("--out", required=True, help="Markdown (and .json beside it)")
    h = sub.add_parser("ship")
    h.add_argument("preset")
    h.add_argument("folder")
    h.add_argument("epoch", type=int)
    h.add_argument("--out", required=True)
    h.add_argument("--budget", help="the table that chose the epoch (copied)")
    h.add_argument("--note", default="", help="e.g. what shared the cores")
    args = parser.parse_args()
    commands = {"train": train, "measure": measure, "seeds": seeds, "ship": ship}
    commands[args.command](args)


if __name__ == "__main__":
    main()
