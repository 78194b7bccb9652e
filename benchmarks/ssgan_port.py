"""A plain-TensorFlow semi-supervised GAN training loop, to bisect the library's.

`SemiSupervisedGAN` collapsed on 100-label MNIST (benchmarks/results/ssgan_runs.md,
run 1 and pilots A-C). This script trains the same model with no keras_gen code in
the step: raw `tf.Variable`s, its own Adam, written from the setup that Salimans et
al. (2016) describe and their released MNIST script uses (permutation-invariant
MNIST, weight-normalized 1000-500-250-250-250 ReLU discriminator with Gaussian
noise 0.3 on the input and 0.5 after each hidden layer, a 500-500 softplus
generator with batch norm and a weight-normalized sigmoid output, uniform [0, 1]
noise of 100 dimensions, Adam lr 0.003 and beta_1 0.5 for both players, feature
matching on the last hidden layer, batches of 100 labelled, 100 unlabelled and 100
generated examples, a second unlabelled batch for the generator).

Each flag switches one thing to what the library did in run 1, so a run with one
flag changed says whether that difference matters:

    --adam keras           Keras Adam (epsilon 1e-7 outside the square root)
                           instead of epsilon 1e-8 inside it (which damps any
                           gradient below about 1e-4).
    --fm-reduce sum        feature matching summed over the 250 features, not
                           averaged (250 times larger generator gradients).
    --unsupervised-weight 1   the weight of -log D(x) - log(1 - D(G(z)));
                           the released code's is 0.5.
    --labelled-in-unsupervised   the labelled batch also in the unsupervised real
                           term and in the generator's matched real features.
    --same-batch           the generator matches the discriminator step's batch.
    --generator-bn after   batch norm (scale and shift) after the softplus.
    --train-hidden-scales  the hidden layers' weight-norm scales are trained.
    --init-without-noise   the data-dependent initialization with the Gaussian noise
                           layers off (the library's, before 2026-12-07).
    --init-examples 200    examples of the initialization batch (the released 500).
    --noise symmetric      z uniform on [-1, 1], not [0, 1].
    --fake-batch 200       generated examples per step (the library generated as
                           many as the real batch held, labelled ones included).
    --library-discriminator   keras_gen's `ssgan_discriminator` (a Keras model,
                           `WeightNormDense` layers, Keras Gaussian noise) and its
                           `data_init_weight_norm`, in this loop.
    --library-generator    keras_gen's `ssgan_generator` (Keras Dense and batch
                           norm, batch statistics in training), in this loop.
    --labels library       the library's labelled subset
                           (`keras_gen.data.splits.balanced_subset`), not this
                           script's own seeded choice.

It reports the raw discriminator's validation error (train[50000:55000], no noise)
after every epoch and writes the log to `--out` (JSON). Ten labelled examples per
class come from train[:50000] by `--seed`.

    python benchmarks/ssgan_port.py --epochs 8 \
        --out benchmarks/results/ssgan_port/base.json
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from keras_gen.data import load_numpy
from keras_gen.data.splits import balanced_subset

UNITS = (1000, 500, 250, 250, 250)


def arguments(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--steps-per-epoch", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--labels-per-class", type=int, default=10)
    p.add_argument("--adam", choices=("inside", "keras"), default="inside")
    p.add_argument("--fm-reduce", choices=("mean", "sum"), default="mean")
    p.add_argument("--unsupervised-weight", type=float, default=0.5)
    p.add_argument("--labelled-in-unsupervised", action="store_true")
    p.add_argument("--same-batch", action="store_true")
    p.add_argument("--generator-bn", choices=("before", "after"), default="before")
    p.add_argument("--train-hidden-scales", action="store_true")
    p.add_argument("--init-without-noise", action="store_true")
    p.add_argument("--init-examples", type=int, default=500)
    p.add_argument("--noise", choices=("unit", "symmetric"), default="unit")
    p.add_argument("--labels", choices=("port", "library"), default="port")
    p.add_argument("--fake-batch", type=int, default=0, help="0: as many as real")
    p.add_argument("--library-discriminator", action="store_true")
    p.add_argument("--library-generator", action="store_true")
    p.add_argument("--out", type=Path, required=True)
    return p.parse_args(argv)


class Adam:
    """Adam with epsilon inside the square root: p -= lr m_hat / sqrt(v_hat + eps).
    Keras's Adam puts epsilon outside (sqrt(v_hat) + eps) and cannot do this."""

    def __init__(self, params, lr=0.003, beta_1=0.5, beta_2=0.999, eps=1e-8):
        self.params, self.lr, self.b1, self.b2, self.eps = (
            params,
            lr,
            beta_1,
            beta_2,
            eps,
        )
        self.m = [tf.Variable(tf.zeros_like(p)) for p in params]
        self.v = [tf.Variable(tf.zeros_like(p)) for p in params]
        self.t = tf.Variable(0.0)

    def apply(self, grads):
        self.t.assign_add(1.0)
        c1, c2 = 1 - self.b1**self.t, 1 - self.b2**self.t
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m.assign(self.b1 * m + (1 - self.b1) * g)
            v.assign(self.b2 * v + (1 - self.b2) * tf.square(g))
            p.assign_sub(self.lr * (m / c1) / tf.sqrt(v / c2 + self.eps))


class KerasAdam:
    def __init__(self, params):
        import keras

        self.params = params
        self.opt = keras.optimizers.Adam(0.003, beta_1=0.5)

    def apply(self, grads):
        self.opt.apply_gradients(zip(grads, self.params, strict=True))


def optimizer(kind, params):
    return Adam(params) if kind == "inside" else KerasAdam(params)


class Discriminator:
    def __init__(self, rng, train_hidden_scales):
        sizes = (784,) + UNITS + (10,)
        self.v, self.g, self.b = [], [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            self.v.append(
                tf.Variable(rng.normal(0, 0.1, (n_in, n_out)), dtype="float32")
            )
            self.g.append(tf.Variable(tf.ones(n_out)))
            self.b.append(tf.Variable(tf.zeros(n_out)))
        last = len(sizes) - 2
        self.trainable = (
            self.v
            + self.b
            + [g for i, g in enumerate(self.g) if train_hidden_scales or i == last]
        )
        self.everything = self.v + self.g + self.b

    def __call__(self, x, noise=True, init=False):
        """`(features of the last hidden layer, logits)`."""
        h = x + tf.random.normal(tf.shape(x), stddev=0.3) if noise else x
        features = None
        for i, (v, g, b) in enumerate(zip(self.v, self.g, self.b, strict=True)):
            a = h @ (v / tf.norm(v, axis=0))
            if init:  # data-dependent initialization, layer by layer
                mean = tf.reduce_mean(a, 0)
                std = tf.sqrt(tf.reduce_mean(tf.square(a - mean), 0))
                g.assign(1.0 / std)
                b.assign(-mean / std)
            a = a * g + b
            if i == len(self.v) - 1:
                return features, a
            h = tf.nn.relu(a)
            features = h
            if noise:
                h = h + tf.random.normal(tf.shape(h), stddev=0.5)


class Generator:
    def __init__(self, rng, batch_norm):
        self.batch_norm = batch_norm
        sizes = (100, 500, 500)
        self.w, self.shift, self.scale, self.bias = [], [], [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            limit = np.sqrt(6 / (n_in + n_out))  # Glorot uniform
            self.w.append(
                tf.Variable(rng.uniform(-limit, limit, (n_in, n_out)), dtype="float32")
            )
            self.shift.append(tf.Variable(tf.zeros(n_out)))
            self.scale.append(tf.Variable(tf.ones(n_out)))
            self.bias.append(tf.Variable(tf.zeros(n_out)))
        limit = np.sqrt(6 / (500 + 784))
        self.v = tf.Variable(rng.uniform(-limit, limit, (500, 784)), dtype="float32")
        self.g = tf.Variable(tf.ones(784))
        self.b = tf.Variable(tf.zeros(784))
        self.trainable = self.w + self.shift + [self.v, self.g, self.b]
        if batch_norm == "after":
            self.trainable += self.scale + self.bias

    def __call__(self, z):
        h = z
        layers = zip(self.w, self.shift, self.scale, self.bias, strict=True)
        for w, shift, scale, bias in layers:
            if self.batch_norm == "before":  # batch statistics, shift only
                a = h @ w
                mean, var = tf.nn.moments(a, [0])
                h = tf.nn.softplus((a - mean) / tf.sqrt(var + 1e-6) + shift)
            else:
                h = tf.nn.softplus(h @ w + bias)
                mean, var = tf.nn.moments(h, [0])
                h = (h - mean) / tf.sqrt(var + 1e-6) * scale + shift
        return tf.sigmoid(h @ (self.v / tf.norm(self.v, axis=0)) * self.g + self.b)


class LibraryDiscriminator:
    """keras_gen's `ssgan_discriminator` behind the port's interface."""

    def __init__(self, train_hidden_scales):
        import keras

        from keras_gen.models.ssgan import ssgan_discriminator

        net = ssgan_discriminator(
            (784,), 10, UNITS, train_hidden_scales=train_hidden_scales
        )
        self.net = keras.Model(
            net.inputs, [net.get_layer("features").output, net.outputs[0]]
        )
        self.trainable = self.net.trainable_variables

    def __call__(self, x, noise=True, init=False):
        if init:
            from keras_gen.gan_layers import data_init_weight_norm

            data_init_weight_norm(self.net, x)
        return self.net(x, training=noise)


class LibraryGenerator:
    """keras_gen's `ssgan_generator` behind the port's interface."""

    def __init__(self, batch_norm):
        from keras_gen.models.ssgan import ssgan_generator

        self.net = ssgan_generator(100, (784,), (500, 500), batch_norm)
        self.trainable = self.net.trainable_variables

    def __call__(self, z):
        return self.net(z, training=True)


def draw_noise(args, n):
    low = -1.0 if args.noise == "symmetric" else 0.0
    return tf.random.uniform((n, 100), low, 1.0)


def log_partition(logits):
    return tf.reduce_logsumexp(logits, axis=1)


def main(argv=None):
    args = arguments(argv)
    rng = np.random.default_rng(args.seed)
    tf.random.set_seed(args.seed)
    x, y = load_numpy("mnist", "train[:55000]")
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    x_train, y_train, x_val, y_val = x[:50000], y[:50000], x[50000:], y[50000:]
    order = rng.permutation(len(x_train))
    if args.labels == "library":
        keep = balanced_subset(y_train, args.labels_per_class, args.seed, 10)
    else:
        keep = np.concatenate(
            [order[y_train[order] == k][: args.labels_per_class] for k in range(10)]
        )
    x_lab_all, y_lab_all = x_train[keep], y_train[keep].astype("int32")

    if args.library_discriminator:
        disc = LibraryDiscriminator(args.train_hidden_scales)
    else:
        disc = Discriminator(rng, args.train_hidden_scales)
    if args.library_generator:
        gen = LibraryGenerator(args.generator_bn)
    else:
        gen = Generator(rng, args.generator_bn)
    init_batch = tf.constant(x_train[order[: args.init_examples]])
    disc(init_batch, noise=not args.init_without_noise, init=True)
    d_opt, g_opt = (
        optimizer(args.adam, disc.trainable),
        optimizer(args.adam, gen.trainable),
    )
    batch = 100

    def unsupervised_real(x_unl, x_lab):
        return tf.concat([x_unl, x_lab], 0) if args.labelled_in_unsupervised else x_unl

    @tf.function
    def d_step(x_lab, y_lab, x_unl):
        real = unsupervised_real(x_unl, x_lab)
        z = draw_noise(args, args.fake_batch or tf.shape(real)[0])
        with tf.GradientTape() as tape:
            logits_lab = disc(x_lab)[1]
            logits_real = disc(real)[1]
            logits_fake = disc(gen(z))[1]
            supervised = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(y_lab, logits_lab)
            )
            lse_real, lse_fake = log_partition(logits_real), log_partition(logits_fake)
            unsupervised = args.unsupervised_weight * (
                tf.reduce_mean(tf.nn.softplus(lse_real) - lse_real)
                + tf.reduce_mean(tf.nn.softplus(lse_fake))
            )
            loss = supervised + unsupervised
        d_opt.apply(tape.gradient(loss, disc.trainable))
        return supervised, unsupervised

    @tf.function
    def g_step(x_real):
        z = draw_noise(args, args.fake_batch or tf.shape(x_real)[0])
        real_features = tf.stop_gradient(disc(x_real)[0])
        with tf.GradientTape() as tape:
            fake = gen(z)
            gap = tf.square(
                tf.reduce_mean(real_features, 0) - tf.reduce_mean(disc(fake)[0], 0)
            )
            fm = tf.reduce_mean(gap) if args.fm_reduce == "mean" else tf.reduce_sum(gap)
        g_opt.apply(tape.gradient(fm, gen.trainable))
        return fm, tf.math.reduce_std(fake, 0)

    @tf.function
    def predict(xb):
        return tf.argmax(disc(xb, noise=False)[1], 1, output_type="int32")

    def validation_error():
        wrong = sum(
            int(
                np.sum(
                    predict(tf.constant(x_val[i : i + 1000])).numpy()
                    != y_val[i : i + 1000]
                )
            )
            for i in range(0, len(x_val), 1000)
        )
        return wrong / len(x_val)

    log = {
        "command": "python benchmarks/ssgan_port.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "arguments": {k: str(v) for k, v in vars(args).items()},
        "epochs": [],
    }
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        unl = rng.permutation(len(x_train))
        unl2 = rng.permutation(len(x_train))
        sums = np.zeros(4)
        for t in range(args.steps_per_epoch):
            lab = rng.choice(len(x_lab_all), batch, replace=len(x_lab_all) < batch)
            x_unl = x_train[unl[t * batch : (t + 1) * batch]]
            s, u = d_step(
                tf.constant(x_lab_all[lab]),
                tf.constant(y_lab_all[lab]),
                tf.constant(x_unl),
            )
            if args.same_batch:
                real = unsupervised_real(
                    tf.constant(x_unl), tf.constant(x_lab_all[lab])
                )
            else:
                real = tf.constant(x_train[unl2[t * batch : (t + 1) * batch]])
            fm, spread = g_step(real)
            sums += [float(s), float(u), float(fm), float(tf.reduce_mean(spread))]
        row = dict(
            zip(
                ("supervised", "unsupervised", "feature_matching", "sample_pixel_std"),
                (sums / args.steps_per_epoch).round(5).tolist(),
                strict=True,
            )
        )
        row |= {
            "epoch": epoch,
            "validation_error": validation_error(),
            "elapsed_s": round(time.perf_counter() - start, 1),
        }
        log["epochs"].append(row)
        print(json.dumps(row), flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(log, indent=1) + "\n")


if __name__ == "__main__":
    main()
