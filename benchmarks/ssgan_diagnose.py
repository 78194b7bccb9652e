"""The library's semi-supervised GAN, epoch by epoch: where it goes wrong.

Trains `ssgan_mnist_100labels` through `training.train_preset` (the recipe, with
`--set` model arguments and `--recipe` entries as `benchmarks/ssgan_table.py` takes
them) and after every epoch scores, on the validation images train[50000:55000],
the raw discriminator and its moving average (`discriminator_ema`), and records the
mean per-pixel standard deviation of 500 generator samples. Writes the rows to
`--out` (JSON) after every epoch. `benchmarks/ssgan_port.py` is the same
measurement for a plain-TensorFlow loop.

    python benchmarks/ssgan_diagnose.py --epochs 8 --folder outputs/ssgan_diag \
        --set 'unsupervised_examples="unlabelled"' \
        --out benchmarks/results/ssgan_diagnose/D.json
"""

import argparse
import json
import sys
import time
from pathlib import Path

import keras
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import aae_epoch_budget as budget  # noqa: E402  (a script of the same folder)

from keras_gen import training  # noqa: E402
from keras_gen.data import load_numpy  # noqa: E402


class EpochScores(keras.callbacks.Callback):
    def __init__(self, out, command):
        super().__init__()
        x, y = load_numpy("mnist", "train[50000:55000]")
        self.x, self.y = x.astype("float32") / 255.0, y
        self.out, self.rows, self.command = out, [], command
        self.start = time.perf_counter()

    def _error(self, net):
        wrong = 0
        for i in range(0, len(self.x), 1000):
            logits = np.asarray(net(self.x[i : i + 1000], training=False))
            wrong += int(np.sum(np.argmax(logits, -1) != self.y[i : i + 1000]))
        return wrong / len(self.x)

    def on_epoch_end(self, epoch, logs=None):
        model = self.model
        row = {
            "epoch": epoch + 1,
            "raw_validation_error": self._error(model.discriminator),
        }
        if model.discriminator_ema is not None:
            row["ema_validation_error"] = self._error(model.discriminator_ema)
        samples = np.asarray(model.sample(500)).reshape(500, -1)
        row["sample_pixel_std"] = round(float(samples.std(0).mean()), 5)
        row |= {k: round(float(v), 5) for k, v in (logs or {}).items()}
        row["elapsed_s"] = round(time.perf_counter() - self.start, 1)
        self.rows.append(row)
        print(json.dumps(row), flush=True)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.out.write_text(
            json.dumps({"command": self.command, "epochs": self.rows}, indent=1) + "\n"
        )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--folder", required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--set", nargs="+", metavar="KEY=JSON", help="model arguments")
    p.add_argument("--recipe", nargs="+", metavar="KEY=JSON", help="recipe entries")
    args = p.parse_args(argv)
    command = "python benchmarks/ssgan_diagnose.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    training.train_preset(
        "ssgan_mnist_100labels",
        args.folder,
        epochs=args.epochs,
        callbacks=[EpochScores(args.out, command)],
        verbose=2,
        seed=args.seed,
        recipe_overrides=budget.assignments(args.recipe, "--recipe"),
        **budget.assignments(args.set, "--set"),
    )


if __name__ == "__main__":
    main()
