"""Long-run memory stability: resident memory over many epochs of `fit`.

Usage: python benchmarks/rss_stability.py [--preset vae2d_mnist] [--epochs 200]
           [--out benchmarks/results/rss_stability.md]

Trains a preset's small test network (its `test_overrides`) with `model.fit` on
synthetic images in a cached tf.data pipeline and reads the process's resident set
size (`/proc/self/status`, VmRSS) after every epoch. The pass rule (issue 24): RSS
after the last epoch at most 10 % above RSS after the first. Exits 1 when it is not
met.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np


def rss_mib():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def measure(preset, epochs, images=2048, batch=64):
    import keras
    import tensorflow as tf

    from keras_gen import zoo

    spec = zoo.get_preset(preset)
    model = spec.model_class(**(spec.config | spec.test_overrides))
    model.compile(
        **{n: keras.optimizers.Adam(1e-3) for n in model.optimizer_names},
        steps_per_execution=8,
    )
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (images, *model.data_shape)).astype("float32")
    data = (x, rng.integers(0, 10, images)) if model.takes_labels else x
    ds = tf.data.Dataset.from_tensor_slices(data).shuffle(images, seed=0)
    ds = ds.batch(batch, drop_remainder=True).cache().prefetch(tf.data.AUTOTUNE)
    after = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            after.append(rss_mib())

    start = time.perf_counter()
    model.fit(ds, epochs=epochs, verbose=0, callbacks=[Record()])
    return after, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="vae2d_mnist")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    after, wall = measure(args.preset, args.epochs)
    growth = after[-1] / after[0] - 1
    worst = max(after) / after[0] - 1
    # The rule bounds every epoch, not only the last: a leak that a late drop
    # hides still fails it.
    ok = worst <= 0.10
    marks = sorted({0, 1, 9, 49, 99, len(after) - 1} & set(range(len(after))))
    lines = [
        f"# Resident memory over {args.epochs} epochs of {args.preset} (test network)",
        "",
        f"Command: `python benchmarks/rss_stability.py --preset {args.preset} "
        f"--epochs {args.epochs}`; {wall:.0f} s wall on 2 CPU cores.",
        "",
        "| after epoch | RSS MiB |",
        "|---|---|",
        *(f"| {i + 1} | {after[i]:.1f} |" for i in marks),
        "",
        f"Growth from epoch 1 to the last: {100 * growth:+.1f} %; largest, at any "
        f"epoch: {100 * worst:+.1f} %; rule (largest) <= +10 %: "
        f"{'met' if ok else 'NOT met'}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
