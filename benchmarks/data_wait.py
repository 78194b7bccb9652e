"""Input pipeline: the fraction of training time spent waiting for data, per preset.

    python benchmarks/data_wait.py              # every preset with its own pipeline
    python benchmarks/data_wait.py vae_mnist    # some presets
    python benchmarks/data_wait.py --smoke      # tiny sizes, one run

For each preset, one epoch of `model.fit` (the recipe's optimizers, batch size, jit
setting and `steps_per_execution`, else 50, as `keras-gen train` runs it) over
(a) its real training pipeline (`evaluation.preset_dataset`: decoding, dynamic
    binarization, corruptions, labelled/unlabelled mixing, shuffling, prefetch), and
(b) the same batches materialized in memory beforehand (`cache()` of (a), read once),
so the step is the same and only the wait for data differs. The wait fraction is
1 - time(b) / time(a), from the medians of `--runs` interleaved runs (after one
warm-up of each); a value at or below zero means no measurable wait.
"""

import argparse
import statistics
import sys
import time

import tensorflow as tf

from keras_gen import data, evaluation, training, zoo

# One preset per input pipeline kind (the others share one of these pipelines).
PRESETS = (
    "ae_mnist",  # plain images
    "dae_mnist",  # masking noise (inside the model's step)
    "vae_mnist",  # dynamic binarization
    "cvae_mnist",  # dynamic binarization with labels
    "gan_mnist",  # a train[:50000] split
    "dcn_mnist",  # shift/rotate augmentation
    "m2_mnist_100labels",  # labelled/unlabelled mixing
    "ssgan_mnist_100labels",  # labelled/unlabelled mixing, two batch sizes
)


def _fit_seconds(model, ds, steps):
    start = time.perf_counter()
    model.fit(ds, epochs=1, steps_per_epoch=steps, verbose=0)
    return time.perf_counter() - start


def measure(name, steps=None, runs=5):
    """(seconds per step on the real pipeline, on materialized batches, wait).

    `steps`: batches per run (default: one epoch of the recipe's training split; a
    new iterator per run, as in each epoch of training, so a shuffle buffer fills
    once per run)."""
    preset = zoo.get_preset(name)
    recipe = preset.recipe
    data_dir = data.prepare(preset.dataset)
    real = evaluation.preset_dataset(
        preset,
        recipe.get("train_split", "train"),
        recipe.get("batch_size", 128),
        data_dir,
        supervised=recipe.get("supervised", False),
        training=True,
        recipe=recipe,
    )
    if steps is None:
        batch = recipe.get("batch_size", 128)
        steps = recipe.get("train_examples", 60000) // batch
    real = real.take(steps)
    materialized = real.cache()
    for _ in materialized:  # fills the cache
        pass
    model = zoo.create_model(name)
    training.compile_preset(model, recipe, recipe.get("steps_per_execution", 50))
    runs_of = {"real": real, "materialized": materialized}
    for ds in runs_of.values():  # trace, compile, warm up
        _fit_seconds(model, ds, steps)
    seconds = {k: [] for k in runs_of}
    for _ in range(runs):
        for k, ds in runs_of.items():
            seconds[k].append(_fit_seconds(model, ds, steps))
    t_real = statistics.median(seconds["real"])
    t_mem = statistics.median(seconds["materialized"])
    spread = {k: (min(v) / steps, max(v) / steps) for k, v in seconds.items()}
    return t_real / steps, t_mem / steps, 1.0 - t_mem / t_real, spread


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("presets", nargs="*", default=[])
    parser.add_argument("--steps", type=int, default=None, help="default: an epoch")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run")
    args = parser.parse_args(argv)
    names = args.presets or list(PRESETS)
    unknown = [n for n in names if n not in zoo.list_models()]
    if unknown:
        parser.error(f"unknown presets {unknown}; `keras-gen list` shows them")
    steps, runs = (50, 1) if args.smoke else (args.steps, args.runs)
    print(
        f"{steps or 'an epoch of'} steps per run, median of {runs} interleaved runs, "
        f"the recipe's steps_per_execution (else 50), TF {tf.__version__}"
    )
    print()
    print(
        "| preset | ms/step, real pipeline | ms/step, batches in memory | wait "
        "| range of runs, real | range, in memory |"
    )
    print("|---|---|---|---|---|---|")
    for name in names:
        t_real, t_mem, wait, spread = measure(name, steps, runs)
        low, high = (f"{1e3 * a:.2f}-{1e3 * b:.2f}" for a, b in spread.values())
        print(
            f"| {name} | {1e3 * t_real:.2f} | {1e3 * t_mem:.2f} | {100 * wait:.1f} % "
            f"| {low} | {high} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
