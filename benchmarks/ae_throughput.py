"""Training throughput of the ae_mnist architecture under compile options.

Usage: python benchmarks/ae_throughput.py  (prints a Markdown table)

Uses random images in memory (cached, prefetched tf.data) so only the step is timed.
"""

import itertools
import time

import keras
import numpy as np
import tensorflow as tf

from keras_gen import zoo


def images_per_second(steps_per_execution, jit_compile, batch=128, steps=1000):
    x = np.random.default_rng(0).uniform(0, 1, (steps * batch, 28, 28, 1))
    ds = (
        tf.data.Dataset.from_tensor_slices(x.astype("float32"))
        .batch(batch)
        .cache()
        .prefetch(tf.data.AUTOTUNE)
    )
    model = zoo.create_model("ae_mnist")
    model.compile(
        keras.optimizers.Adam(1e-3),
        steps_per_execution=steps_per_execution,
        jit_compile=jit_compile,
    )
    model.fit(ds.take(100), epochs=1, verbose=0)  # trace and warm up
    best = 0.0
    for _ in range(2):  # best of two epochs: the machine's other load only slows
        start = time.perf_counter()
        model.fit(ds, epochs=1, verbose=0)
        best = max(best, steps * batch / (time.perf_counter() - start))
    return best


if __name__ == "__main__":
    print("| steps_per_execution | jit_compile | images/s |")
    print("|---|---|---|")
    for spe, jit in itertools.product((1, 50), (False, True)):
        print(f"| {spe} | {jit} | {images_per_second(spe, jit):,.0f} |")
