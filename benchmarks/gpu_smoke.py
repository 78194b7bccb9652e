"""GPU smoke run: one preset of every architecture trains a few hundred steps
under the default strategy and under MirroredStrategy with mixed precision, and
prints training images per second.

On a machine without a GPU it says so and exits 0. `--allow-cpu` runs the same
code on the CPU (mirrored over 2 logical CPUs, `mixed_bfloat16`, which the CPU
computes), so that the script is known to work before its first GPU run:

    python benchmarks/gpu_smoke.py                      # a GPU machine
    python benchmarks/gpu_smoke.py --allow-cpu --steps 3 --presets ae_mnist gan_mnist

The data are random images of each preset's shape (with random labels where the
model takes them), in memory and prefetched: the step's speed, not the pipeline's.
Each row is written as a JSON line to `--out` as soon as it is measured.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402


def parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=300, help="timed steps per run")
    p.add_argument("--warmup", type=int, default=20, help="untimed steps first")
    p.add_argument("--presets", nargs="+", help="default: one per architecture")
    p.add_argument("--allow-cpu", action="store_true", help="run without a GPU")
    p.add_argument("--out", default="gpu_smoke.jsonl")
    return p.parse_args()


def dataset(model, batch, steps, seed=0):
    import numpy as np

    from keras_gen.data import UNLABELLED

    rng = np.random.default_rng(seed)
    # A step of a model with k discriminator steps takes k minibatches.
    n = batch * steps * getattr(model, "minibatches_per_step", 1)
    x = rng.uniform(0, 1, (n, *model.data_shape)).astype("float32")
    if not model.takes_labels:
        return tf.data.Dataset.from_tensor_slices(x).batch(batch).prefetch(2)
    y = rng.integers(0, model.num_classes, n)
    if getattr(model, "accepts_unlabelled", False):
        y[rng.uniform(size=n) < 0.5] = UNLABELLED
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch).prefetch(2)


def measure(name, strategy, policy, steps, warmup):
    import keras

    from keras_gen import training, zoo

    keras.mixed_precision.set_dtype_policy(policy)
    try:
        preset = zoo.get_preset(name)
        batch = int(preset.recipe.get("batch_size", 128))
        with strategy.scope():
            model = zoo.create_model(name)
            training.compile_preset(model, dict(preset.recipe), steps_per_execution=1)
        model.fit(dataset(model, batch, warmup), epochs=1, verbose=0)
        k = getattr(model, "minibatches_per_step", 1)  # images a step takes: k batches
        data = dataset(model, batch, steps, seed=1)
        start = time.perf_counter()
        history = model.fit(data, epochs=1, verbose=0)
        wall = time.perf_counter() - start
        logs = {k: float(v[-1]) for k, v in history.history.items()}
        finite = all(v == v and abs(v) != float("inf") for v in logs.values())
        return {
            "preset": name,
            "strategy": type(strategy).__name__,
            "replicas": strategy.num_replicas_in_sync,
            "policy": policy,
            "batch": batch,
            "steps": steps,
            "images_per_s": round(batch * k * steps / wall, 1),
            "finite_logs": finite,
        }
    except Exception as err:  # a smoke run reports every failure and goes on
        error = f"{type(err).__name__}: {err}"
        return {"preset": name, "strategy": type(strategy).__name__, "error": error}
    finally:
        keras.mixed_precision.set_dtype_policy("float32")


def main():
    args = parse()
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus and not args.allow_cpu:
        print("no GPU on this machine: nothing measured (--allow-cpu runs on the CPU)")
        return 0
    if not gpus:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(2)]
        )
    from keras_gen import distribute, zoo

    names = args.presets or list(zoo.first_presets().values())
    mirrored = distribute.get_strategy("mirrored")
    low = "mixed_float16" if gpus else "mixed_bfloat16"
    runs = [(tf.distribute.get_strategy(), "float32"), (mirrored, low)]
    failed = 0
    with open(args.out, "w") as out:
        for name in names:
            for strategy, policy in runs:
                row = measure(name, strategy, policy, args.steps, args.warmup)
                failed += "error" in row or not row.get("finite_logs", False)
                print(json.dumps(row), flush=True)
                out.write(json.dumps(row) + "\n")
    print(f"{len(names) * len(runs)} runs, {failed} failed; rows in {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
