"""Milliseconds per forward + backward pass of `layers.MinibatchDiscrimination` on a
batch of 256 x 128 features (the grid benchmark's discriminator), with and without
XLA, for the kernel sizes considered in `mode_collapse.py`.

    python benchmarks/minibatch_layer_speed.py
"""

import time

import tensorflow as tf

from keras_gen import layers


def main(steps=50):
    x = tf.random.normal((256, 128))
    for kernels, dim, jit in [(16, 8, True), (8, 4, False), (8, 4, True)]:
        layer = layers.MinibatchDiscrimination(kernels, dim)
        layer(x)

        @tf.function(jit_compile=jit)
        def step(x, layer=layer):
            with tf.GradientTape() as tape:
                y = tf.reduce_sum(layer(x))
            return tape.gradient(y, layer.trainable_variables)

        step(x)
        start = time.perf_counter()
        for _ in range(steps):
            step(x)
        ms = (time.perf_counter() - start) / steps * 1000
        print(f"B {kernels}, C {dim}, jit_compile={jit}: {ms:.1f} ms")


if __name__ == "__main__":
    main()
