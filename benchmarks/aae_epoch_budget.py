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

Validation images: train[50000:55000] are scored; a metric's own hyperparameter
(the Parzen sigma) is chosen on train[55000:56000].
"""

import argparse
import json
import sys
import time
from pathlib import Path

from keras_gen import evaluation, presets, training, zoo
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
    paths = sorted(
        (Path(folder) / "snapshots").glob("epoch_*.weights.h5"),
        key=lambda p: int(p.stem.split("_")[1].split(".")[0]),
    )
    rows = []
    for path in paths:
        model.load_weights(path)
        start = time.perf_counter()
        values = evaluation.evaluate(model, split(SCORED), kinds, **options)
        values.pop("examples", None)
        epochs = int(path.stem.split("_")[1].split(".")[0])
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
    args = parser.parse_args()
    {"train": train, "measure": measure}[args.command](args)


if __name__ == "__main__":
    main()
