"""The semi-supervised presets' control: a classifier trained on the labelled images
alone (no unlabelled data), to tell how much a semi-supervised model gains.

The labelled subset is the one the semi-supervised recipe draws (`data.load(...,
labelled_per_class=N, seed=S)` on train[:50000], as `load_semi_supervised` does);
the network is the SSAAE encoder's (784 -> 1000 -> 1000 ReLU -> 10 logits), Adam
1e-3, batch 100, for `--steps` updates. Prints the validation error on
train[50000:55000] and the test error, per seed, as JSON.

    python benchmarks/labels_only_baseline.py --seeds 0 1 2 --steps 2000
"""

import argparse
import json

import keras
import numpy as np

from keras_gen import data


def run(seed, per_class, steps):
    keras.utils.set_random_seed(seed)
    train = data.load(
        "mnist",
        "train[:50000]",
        100,
        seed=seed,
        shuffle=True,
        labelled_per_class=per_class,
        repeat=True,
        flatten=True,
    )
    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(1000, activation="relu"),
            keras.layers.Dense(1000, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        keras.optimizers.Adam(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        steps_per_execution=50,
    )
    model.fit(train, steps_per_epoch=steps, epochs=1, verbose=0)

    def error(split):
        ds = data.load("mnist", split, 1000, shuffle=False, flatten=True)
        return 1.0 - model.evaluate(ds, verbose=0, return_dict=True)["accuracy"]

    return {
        "seed": seed,
        "labelled": 10 * per_class,
        "steps": steps,
        "validation_error": round(error("train[50000:55000]"), 4),
        "test_error": round(error("test"), 4),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--labelled-per-class", type=int, default=10)
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args()
    rows = [run(s, args.labelled_per_class, args.steps) for s in args.seeds]
    for row in rows:
        print(json.dumps(row))
    errors = np.array([r["test_error"] for r in rows])
    print(f"test error {100 * errors.mean():.2f} % +- {100 * errors.std():.2f}")


if __name__ == "__main__":
    main()
