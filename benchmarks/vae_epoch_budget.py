"""How the vae_mnist test NLL moves with the epoch budget.

`train` runs `keras-gen train vae_mnist` (the preset's recipe) into a folder and
keeps a copy of the weights at chosen epochs; `measure` evaluates every copy with
the importance-sampled `log_likelihood` and writes a Markdown table.

    python benchmarks/vae_epoch_budget.py train /tmp/runs/vae_mnist
    python benchmarks/vae_epoch_budget.py measure /tmp/runs/vae_mnist \
        --limit 2000 --out benchmarks/results/vae_epoch_budget.md

The snapshots are points along one run of the recipe's learning-rate schedule (a
cosine decay over all its epochs), not separate runs with shorter schedules.
"""

import argparse
import json
import time
from pathlib import Path

from keras_gen import evaluation, presets, training, zoo
from keras_gen.callbacks import WeightSnapshots
from keras_gen.cards import EPOCH_BUDGET_FILE


def train(args):
    snapshots = WeightSnapshots(Path(args.folder) / "snapshots", args.snapshots)
    training.train_preset(
        args.preset, args.folder, epochs=args.epochs, callbacks=[snapshots]
    )


def measure(args):
    preset = zoo.get_preset(args.preset)
    model = presets.load_preset_folder(args.folder)
    ds = evaluation.preset_dataset(preset, "test", 500, shuffle=False, supervised=False)
    ds = ds.unbatch().take(args.limit).batch(500)
    rows = []
    paths = sorted(
        (Path(args.folder) / "snapshots").glob("epoch_*.weights.h5"),
        key=lambda p: int(p.stem.split("_")[1].split(".")[0]),
    )
    for path in paths:
        model.load_weights(path)
        start = time.perf_counter()
        values = evaluation.likelihood(model, ds, num_samples=args.k)
        epoch = int(path.stem.split("_")[1].split(".")[0])
        rows.append((epoch, values, time.perf_counter() - start))
        print(epoch, json.dumps(values), flush=True)
    lines = [
        f"Snapshots of one run of `keras-gen train {args.preset}` (the recipe's "
        "cosine learning-rate decay over all its epochs), measured on the first "
        f"{args.limit:,} test images (the recipe's fixed binarization) with k = "
        f"{args.k:,} importance samples by",
        "",
        "    python benchmarks/vae_epoch_budget.py measure FOLDER "
        f"--limit {args.limit} --k {args.k}",
        "",
        "| epochs | test NLL (nats) | test ELBO | KL |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {e} | {v['nll']:.2f} | {v['elbo']:.2f} | {v['kl']:.2f} |"
        for e, v, _ in rows
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    # The model card includes this table (see keras_gen.cards.write_card).
    (Path(args.folder) / EPOCH_BUDGET_FILE).write_text(text)
    if args.out:
        Path(args.out).write_text(f"# {args.preset}: test NLL against epochs\n\n{text}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("folder")
    t.add_argument("--preset", default="vae_mnist")
    t.add_argument("--epochs", type=int, default=None)
    t.add_argument(
        "--snapshots",
        type=lambda s: [int(v) for v in s.split(",")],
        default=[10, 25, 50, 100, 200, 400, 800],
    )
    m = sub.add_parser("measure")
    m.add_argument("folder")
    m.add_argument("--preset", default="vae_mnist")
    m.add_argument("--limit", type=int, default=2000)
    m.add_argument("--k", type=int, default=5000)
    m.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.command == "train":
        train(args)
    else:
        measure(args)


if __name__ == "__main__":
    main()
