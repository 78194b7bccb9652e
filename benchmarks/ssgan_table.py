"""The semi-supervised GAN's test errors against Salimans et al. (2016), Table 1.

`run` trains the `ssgan_mnist_100labels` recipe with another number of labels
(`--labels`: 20, 50, 100 or 200, drawn class-balanced from train[:50000] by
`--seed`, which also seeds the model), keeps snapshots, scores each snapshot on the
validation images train[50000:55000] (how the error moves with the epoch budget)
and writes one JSON file per run to `benchmarks/results/ssgan/`. The test error
is that of the last epoch (a fixed budget, as the paper's 300 epochs; no snapshot
is chosen by its test error). `table` prints every run found, never filling in a
missing one.

    python benchmarks/ssgan_table.py run --labels 100 --seed 0 --epochs 100 \
        --snapshots 10 25 50 100 --folder outputs/ssgan_100_s0
    python benchmarks/ssgan_table.py table --out benchmarks/results/ssgan_table.md
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import aae_epoch_budget as budget  # noqa: E402  (a script of the same folder)

from keras_gen import training  # noqa: E402
from keras_gen.callbacks import WeightSnapshots  # noqa: E402

PRESET = "ssgan_mnist_100labels"
RUNS = Path(__file__).resolve().parent / "results" / "ssgan"
TEST_IMAGES = 10_000
# Misclassified test images out of 10,000, mean +- std over 10 seeds, Salimans et
# al. 2016, Table 1 (permutation-invariant MNIST), as the issue quotes them.
PAPER = {20: "1677 +- 452", 50: "221 +- 136", 100: "93 +- 6.5", 200: "90 +- 4.2"}


def run(args, argv):
    if args.labels % 10:
        raise SystemExit(f"--labels must be a multiple of 10, got {args.labels}")
    snapshots = sorted(set(args.snapshots or []) | {args.epochs})
    recipe = budget.assignments(args.recipe, "--recipe")
    labelled = {"labelled_per_class": args.labels // 10}
    recipe["semi_supervised"] = recipe.get("semi_supervised", {}) | labelled
    start = time.perf_counter()
    _, meta = training.train_preset(
        PRESET,
        args.folder,
        epochs=args.epochs,
        callbacks=[WeightSnapshots(Path(args.folder) / "snapshots", snapshots)],
        verbose=2,
        seed=args.seed,
        recipe_overrides=recipe,
        resume=args.resume,
        **budget.assignments(args.set, "--set"),
    )
    rows = budget.snapshot_rows(PRESET, args.folder)
    error = meta["metrics"]["values"]["error"]
    result = {
        "labels": args.labels,
        "seed": args.seed,
        "epochs": args.epochs,
        "test_error": error,
        "test_errors": round(error * TEST_IMAGES),
        "validation_error": {str(r["epochs"]): r["error"] for r in rows},
        "train_wall_time_s": meta["train_wall_time_s"],
        "wall_time_s": round(time.perf_counter() - start, 1),
        "command": "python benchmarks/ssgan_table.py " + " ".join(argv),
        "note": args.note,
    }
    out = Path(args.runs) / f"labels{args.labels}_seed{args.seed}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


def load_runs(folder):
    """Every run's result, by label count."""
    runs = {}
    for path in sorted(Path(folder).glob("labels*_seed*.json")):
        result = json.loads(path.read_text())
        runs.setdefault(result["labels"], []).append(result)
    return runs


def table(folder):
    runs = load_runs(folder)
    lines = [
        "| labels | ours: test errors of 10,000, mean +- std | runs (seed: errors, "
        "epochs) | paper (10 seeds) |",
        "|---|---|---|---|",
    ]
    for labels in sorted(set(PAPER) | set(runs)):
        found = sorted(runs.get(labels, []), key=lambda r: r["seed"])
        if found:
            errors = np.array([r["test_errors"] for r in found], float)
            ours = f"{errors.mean():.1f} +- {errors.std():.1f} ({len(found)} seeds)"
            each = ", ".join(
                f"{r['seed']}: {r['test_errors']}, {r['epochs']} ep" for r in found
            )
        else:
            ours, each = "not run", "-"
        lines.append(f"| {labels} | {ours} | {each} | {PAPER.get(labels, '-')} |")
    return "\n".join(lines) + "\n"


def _shown(folder):
    """`folder` relative to the repository when it lies inside it."""
    path = Path(folder).resolve()
    root = RUNS.parents[2]
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(folder)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="train one run and write its JSON")
    r.add_argument("--labels", type=int, required=True)
    r.add_argument("--seed", type=int, required=True)
    r.add_argument("--epochs", type=int, required=True)
    r.add_argument("--snapshots", type=int, nargs="+")
    r.add_argument("--folder", required=True)
    r.add_argument("--runs", default=str(RUNS), help="folder of the JSON results")
    r.add_argument("--note", default="", help="e.g. what shared the cores")
    r.add_argument(
        "--resume", action="store_true", help="continue a stopped run in --folder"
    )
    r.add_argument("--set", nargs="+", metavar="KEY=JSON", help="model arguments")
    r.add_argument("--recipe", nargs="+", metavar="KEY=JSON", help="recipe entries")
    t = sub.add_parser("table", help="print the table of every run")
    t.add_argument("--runs", default=str(RUNS))
    t.add_argument("--out")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.command == "run":
        run(args, argv)
        return
    text = table(args.runs)
    print(text)
    if args.out:
        Path(args.out).write_text(
            "# Semi-supervised GAN against Salimans et al. 2016, Table 1\n\n"
            f"Printed by `python benchmarks/ssgan_table.py {' '.join(argv)}` from the "
            f"runs in {_shown(args.runs)} (each JSON with its command).\n\n" + text
        )


if __name__ == "__main__":
    main()
