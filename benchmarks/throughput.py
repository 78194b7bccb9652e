"""Training throughput: our `model.fit` against the same network written by hand.

    python benchmarks/throughput.py                  # every family, a Markdown table
    python benchmarks/throughput.py ae vae --runs 5  # some families
    python benchmarks/throughput.py --smoke          # tiny sizes: checks it runs

For each family's reference preset, training images per second on this machine of
(1) keras_gen: `model.fit` on the preset's networks, optimizers and batch size, with
    the recipe's `steps_per_execution` (else 50) and `jit_compile` (else Keras'
    "auto": off on a CPU-only machine), as `keras-gen train` runs it; the recipes'
    settings are the fastest of `--options`; `--steps-per-execution` and `--jit
    on|off` override them;
(2) hand-written TF: the same Keras networks (taken from a fresh preset model) and the
    same optimizers in a minimal loop, one `tf.function(jit_compile=True)` call per
    batch over the same cached, prefetched `tf.data` pipeline;
(3) PyTorch eager on the CPU: the same layer sizes, losses and Adam settings, batches
    sliced from one in-memory tensor (`pip install -e ".[bench]"`; the column reads
    "n/a" without torch).
Each implementation is built and warmed up once (tracing, XLA compilation, the first
epoch), then one epoch of each runs in turn, `--runs` times (interleaved, so drifts in
the machine's load hit all three alike); the table gives the median and the ratios of
the medians, all measured in the one run. The images are random binary 28x28 digits
in memory: only the step is timed (the input pipeline is measured by
`benchmarks/data_wait.py`).
"""

import argparse
import statistics
import sys
import time
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from keras_gen import zoo

try:  # a benchmark-only extra, never a library dependency
    import torch
    from torch import nn
except ImportError:  # pragma: no cover - depends on the extra
    torch = None


@dataclass
class Family:
    preset: str
    batch_size: int
    images: int  # per timed epoch
    labelled: bool = False


FAMILIES = {
    "ae": Family("ae_mnist", 128, 30_720),
    "conv_ae": Family("conv_ae_mnist", 128, 7_680),
    "vae": Family("vae_mnist", 100, 30_000),
    "gan": Family("gan_mnist", 100, 10_000),
    "dcgan": Family("dcgan_mnist", 64, 6_400),
    "aae": Family("aae_mnist", 100, 10_000),
}


def _images(n, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(size=(n, 28, 28, 1)) < 0.13).astype("float32")


def _dataset(x, batch):
    return (
        tf.data.Dataset.from_tensor_slices(x)
        .batch(batch, drop_remainder=True)
        .cache()
        .prefetch(tf.data.AUTOTUNE)
    )


def _optimizers(preset):
    """The preset's optimizers as {name: keras optimizer} (one Adam if unnamed)."""
    recipe = zoo.get_preset(preset).recipe
    if "optimizers" in recipe:
        return {k: keras.optimizers.get(v) for k, v in recipe["optimizers"].items()}
    return {"optimizer": keras.optimizers.Adam(recipe.get("learning_rate", 1e-3))}


def _adam_settings(preset):
    """(learning rate, beta_1) of each named optimizer, for the PyTorch versions."""
    out = {}
    for name, opt in _optimizers(preset).items():
        lr = opt.learning_rate
        lr = float(lr.numpy() if hasattr(lr, "numpy") else lr)
        out[name] = (lr, float(opt.beta_1))
    return out


# -- (1) keras_gen ---------------------------------------------------------------


def ours(family, x, steps_per_execution=None, jit_compile=None):
    recipe = zoo.get_preset(family.preset).recipe
    if steps_per_execution is None:
        steps_per_execution = recipe.get("steps_per_execution", 50)
    if jit_compile is None:
        jit_compile = recipe.get("jit_compile", "auto")
    model = zoo.create_model(family.preset)
    opts = _optimizers(family.preset)
    if list(opts) == ["optimizer"]:
        model.compile(
            opts["optimizer"],
            steps_per_execution=steps_per_execution,
            jit_compile=jit_compile,
        )
    else:
        model.compile(
            **opts, steps_per_execution=steps_per_execution, jit_compile=jit_compile
        )
    ds = _dataset(x, family.batch_size)

    def epoch():
        model.fit(ds, epochs=1, verbose=0)

    jit = {True: "on", False: "off"}.get(jit_compile, jit_compile)
    epoch.settings = f"{steps_per_execution}, {jit}"
    return epoch


# -- (2) hand-written TF ---------------------------------------------------------


def _bce_sum(x, logits):
    # -log p(x|logits) for independent Bernoulli pixels, summed per example.
    per_pixel = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits)
    return tf.reduce_sum(tf.reshape(per_pixel, (tf.shape(x)[0], -1)), axis=1)


def _bce_logits(target, logits):
    return tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.fill(tf.shape(logits), target), logits=logits
        )
    )


def _apply(optimizer, tape, loss, variables):
    optimizer.apply_gradients(
        zip(tape.gradient(loss, variables), variables, strict=True)
    )


def hand_tf(family, x):
    model = zoo.create_model(family.preset)
    opts = _optimizers(family.preset)
    name = family.preset
    if name in ("ae_mnist", "conv_ae_mnist"):
        enc, dec, opt = model.encoder, model.decoder, opts["optimizer"]
        variables = enc.trainable_variables + dec.trainable_variables

        def step(x):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(_bce_sum(x, dec(enc(x, training=True))))
            _apply(opt, tape, loss, variables)
            return loss

    elif name == "vae_mnist":
        enc, dec, opt = model.encoder, model.decoder, opts["optimizer"]
        variables = enc.trainable_variables + dec.trainable_variables
        d = model.latent_dim

        def step(x):
            with tf.GradientTape() as tape:
                out = enc(x, training=True)
                mu, s = out[:, :d], tf.math.softplus(out[:, d:]) + 1e-4
                z = mu + s * tf.random.normal(tf.shape(mu))
                kl = tf.reduce_sum(0.5 * (s**2 + mu**2 - 1.0) - tf.math.log(s), 1)
                loss = tf.reduce_mean(_bce_sum(x, dec(z, training=True)) + kl)
            _apply(opt, tape, loss, variables)
            return loss

    elif name in ("gan_mnist", "dcgan_mnist"):
        g, dis = model.generator, model.discriminator
        d_opt, g_opt = opts["d_optimizer"], opts["g_optimizer"]
        d_vars, g_vars = dis.trainable_variables, g.trainable_variables
        decay = getattr(model, "ema_decay", None)
        ema = [tf.Variable(v) for v in g.weights] if decay else None
        latent = model.latent_dim

        def step(x):
            b = tf.shape(x)[0]
            fake = g(tf.random.normal((b, latent)), training=True)
            with tf.GradientTape() as tape:
                d_loss = _bce_logits(1.0, dis(x, training=True)) + _bce_logits(
                    0.0, dis(fake, training=True)
                )
            _apply(d_opt, tape, d_loss, d_vars)
            with tf.GradientTape() as tape:
                fake = g(tf.random.normal((b, latent)), training=True)
                g_loss = _bce_logits(1.0, dis(fake, training=True))
            _apply(g_opt, tape, g_loss, g_vars)
            if ema is not None:  # the preset's moving average of the generator
                for avg, v in zip(ema, g.weights, strict=True):
                    avg.assign(decay * avg + (1.0 - decay) * v)
            return d_loss + g_loss

    elif name == "aae_mnist":
        enc, dec, dis = model.encoder, model.decoder, model.discriminator
        ae_vars = enc.trainable_variables + dec.trainable_variables
        prior = model.prior

        def step(x):
            with tf.GradientTape() as tape:
                rec = tf.reduce_mean(_bce_sum(x, dec(enc(x, training=True))))
            _apply(opts["ae_optimizer"], tape, rec, ae_vars)
            real_z = prior.sample(
                tf.shape(x)[0], tf.random.uniform((2,), 0, 2**30, "int32")
            )
            with tf.GradientTape() as tape:
                d_loss = _bce_logits(1.0, dis(real_z, training=True)) + _bce_logits(
                    0.0, dis(enc(x, training=True), training=True)
                )
            _apply(opts["d_optimizer"], tape, d_loss, dis.trainable_variables)
            with tf.GradientTape() as tape:
                g_loss = _bce_logits(1.0, dis(enc(x, training=True), training=True))
            _apply(opts["g_optimizer"], tape, g_loss, enc.trainable_variables)
            return rec + d_loss + g_loss

    else:
        raise ValueError(f"no hand-written TF loop for {name!r}")
    compiled = tf.function(step, jit_compile=True)
    ds = _dataset(x, family.batch_size)

    def epoch():
        for batch in ds:
            compiled(batch)

    epoch.step = step  # the plain Python step, for counting its FLOPs
    return epoch


def flops_per_image(family, x):
    """Floating-point operations of one training step per image: TensorFlow's
    profiler over the hand-written step's graph (forward, gradients and the
    optimizers' updates; ops without a registered FLOP count, such as
    activations, count zero, so this is the matmul/conv work)."""
    epoch = hand_tf(family, x[: family.batch_size])
    spec = tf.TensorSpec((family.batch_size, *x.shape[1:]), tf.float32)
    graph = tf.function(epoch.step).get_concrete_function(spec).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    stats = tf.compat.v1.profiler.profile(graph, options=options)
    return stats.total_float_ops / family.batch_size


def sgemm_gflops(n=2048, repeats=5):
    """The machine's float32 matmul rate through numpy (BLAS), GFLOP/s."""
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    a @ a  # warm up
    best = min(_timed(lambda: a @ a) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# -- (3) PyTorch eager -----------------------------------------------------------


def _mlp(sizes, act, last=None):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    if last is not None:
        layers.append(last)
    return nn.Sequential(*layers)


if torch is not None:  # (the torch column is "n/a" without torch)

    class _Maxout(nn.Module):
        def __init__(self, d_in, units, pieces):
            super().__init__()
            self.linear, self.units, self.pieces = (
                nn.Linear(d_in, units * pieces),
                units,
                pieces,
            )

        def forward(self, x):
            return self.linear(x).view(-1, self.units, self.pieces).amax(-1)


def _torch_nets(name, model):
    """The preset's networks in PyTorch (NCHW for the convolutional ones)."""
    if name == "ae_mnist":
        return {
            "enc": nn.Sequential(nn.Flatten(), _mlp([784, 512, 256, 32], nn.ReLU)),
            "dec": _mlp([32, 256, 512, 784], nn.ReLU),
        }
    if name == "vae_mnist":
        return {
            "enc": nn.Sequential(nn.Flatten(), _mlp([784, 200, 200, 100], nn.Tanh)),
            "dec": _mlp([50, 200, 200, 784], nn.Tanh),
        }
    if name == "conv_ae_mnist":
        return {
            "enc": nn.Sequential(
                nn.Conv2d(1, 32, 4, 2, 1),
                nn.ReLU(),
                nn.Conv2d(32, 64, 4, 2, 1),
                nn.ReLU(),
                nn.Flatten(),
                nn.Linear(3136, 32),
            ),
            "dec": nn.Sequential(
                nn.Linear(32, 3136),
                nn.ReLU(),
                nn.Unflatten(1, (64, 7, 7)),
                nn.ConvTranspose2d(64, 64, 4, 2, 1),
                nn.ReLU(),
                nn.ConvTranspose2d(64, 32, 4, 2, 1),
                nn.ReLU(),
                nn.Conv2d(32, 1, 3, 1, 1),
            ),
        }
    if name == "gan_mnist":
        return {
            "g": nn.Sequential(
                nn.Linear(100, 1200),
                nn.ReLU(),
                nn.BatchNorm1d(1200),
                nn.Linear(1200, 1200),
                nn.ReLU(),
                nn.BatchNorm1d(1200),
                nn.Linear(1200, 784),
                nn.Sigmoid(),
                nn.Unflatten(1, (1, 28, 28)),
            ),
            "d": nn.Sequential(
                nn.Flatten(),
                nn.Dropout(0.2),
                _Maxout(784, 240, 5),
                nn.Dropout(0.5),
                _Maxout(240, 240, 5),
                nn.Dropout(0.5),
                nn.Linear(240, 1),
            ),
        }
    if name == "dcgan_mnist":
        return {
            "g": nn.Sequential(
                nn.Linear(100, 3136),
                nn.BatchNorm1d(3136),
                nn.ReLU(),
                nn.Unflatten(1, (64, 7, 7)),
                nn.ConvTranspose2d(64, 64, 4, 2, 1),
                nn.BatchNorm2d(64),
                nn.ReLU(),
                nn.ConvTranspose2d(64, 32, 4, 2, 1),
                nn.BatchNorm2d(32),
                nn.ReLU(),
                nn.Conv2d(32, 1, 3, 1, 1),
                nn.Sigmoid(),
            ),
            "d": nn.Sequential(
                nn.Conv2d(1, 32, 4, 2, 1),
                nn.LeakyReLU(0.2),
                nn.Conv2d(32, 64, 4, 2, 1),
                nn.BatchNorm2d(64),
                nn.LeakyReLU(0.2),
                nn.Flatten(),
                nn.Linear(3136, 1),
            ),
        }
    if name == "aae_mnist":
        return {
            "enc": nn.Sequential(nn.Flatten(), _mlp([784, 1000, 1000, 2], nn.ReLU)),
            "dec": _mlp([2, 1000, 1000, 784], nn.ReLU),
            "d": _mlp([2, 1000, 1000, 1], nn.ReLU),
        }
    raise ValueError(f"no PyTorch version of {name!r}")


def hand_torch(family, x):
    if torch is None:
        return None
    name = family.preset
    nets = _torch_nets(name, None)
    adam = _adam_settings(name)
    conv = name in ("conv_ae_mnist", "dcgan_mnist", "gan_mnist")
    data = torch.from_numpy(
        np.ascontiguousarray(x.transpose(0, 3, 1, 2) if conv else x)
    )
    bce = nn.functional.binary_cross_entropy_with_logits
    b = family.batch_size

    def opt(params, key):
        lr, beta_1 = adam[key]
        return torch.optim.Adam(params, lr=lr, betas=(beta_1, 0.999), eps=1e-7)

    def rec_sum(xb, logits):
        return bce(
            logits.reshape(len(xb), -1), xb.reshape(len(xb), -1), reduction="sum"
        ) / len(xb)

    if name in ("ae_mnist", "conv_ae_mnist", "vae_mnist"):
        enc, dec = nets["enc"], nets["dec"]
        o = opt([*enc.parameters(), *dec.parameters()], "optimizer")

        def step(xb):
            if name == "vae_mnist":
                out = enc(xb)
                mu, s = out[:, :50], nn.functional.softplus(out[:, 50:]) + 1e-4
                z = mu + s * torch.randn_like(mu)
                kl = (0.5 * (s**2 + mu**2 - 1.0) - torch.log(s)).sum(1).mean()
                loss = rec_sum(xb, dec(z)) + kl
            else:
                loss = rec_sum(xb, dec(enc(xb)))
            o.zero_grad(set_to_none=True)
            loss.backward()
            o.step()

    elif name in ("gan_mnist", "dcgan_mnist"):
        g, d = nets["g"], nets["d"]
        d_opt, g_opt = (
            opt(d.parameters(), "d_optimizer"),
            opt(g.parameters(), "g_optimizer"),
        )
        ema = (
            [p.detach().clone() for p in g.parameters()]
            if name == "gan_mnist"
            else None
        )

        def step(xb):
            with torch.no_grad():
                fake = g(torch.randn(len(xb), 100))
            real_logits, fake_logits = d(xb), d(fake)
            d_loss = bce(real_logits, torch.ones_like(real_logits)) + bce(
                fake_logits, torch.zeros_like(fake_logits)
            )
            d_opt.zero_grad(set_to_none=True)
            d_loss.backward()
            d_opt.step()
            logits = d(g(torch.randn(len(xb), 100)))
            g_loss = bce(logits, torch.ones_like(logits))
            g_opt.zero_grad(set_to_none=True)
            g_loss.backward()
            g_opt.step()
            if ema is None:
                return
            with torch.no_grad():  # the preset's moving average of the generator
                for avg, p in zip(ema, g.parameters(), strict=True):
                    avg.mul_(0.9999).add_(p, alpha=1e-4)

    elif name == "aae_mnist":
        enc, dec, d = nets["enc"], nets["dec"], nets["d"]
        ae_opt = opt([*enc.parameters(), *dec.parameters()], "ae_optimizer")
        d_opt, g_opt = (
            opt(d.parameters(), "d_optimizer"),
            opt(enc.parameters(), "g_optimizer"),
        )
        angle = 2 * np.pi * torch.arange(10) / 10
        locs = 2.0 * torch.stack([torch.cos(angle), torch.sin(angle)], 1)

        def step(xb):
            loss = rec_sum(xb, dec(enc(xb)))
            ae_opt.zero_grad(set_to_none=True)
            loss.backward()
            ae_opt.step()
            k = torch.randint(0, 10, (len(xb),))
            real_z = locs[k] + 0.3 * torch.randn(len(xb), 2)
            real_logits, fake_logits = d(real_z), d(enc(xb).detach())
            d_loss = bce(real_logits, torch.ones_like(real_logits)) + bce(
                fake_logits, torch.zeros_like(fake_logits)
            )
            d_opt.zero_grad(set_to_none=True)
            d_loss.backward()
            d_opt.step()
            logits = d(enc(xb))
            g_loss = bce(logits, torch.ones_like(logits))
            g_opt.zero_grad(set_to_none=True)
            g_loss.backward()
            g_opt.step()

    n = len(data) // b * b

    def epoch():
        for i in range(0, n, b):
            step(data[i : i + b])

    return epoch


# -- the table -------------------------------------------------------------------


def measure(name, runs=5, steps_per_execution=None, jit_compile=None, smoke=False):
    """{implementation: median images/s} for one family, interleaved runs."""
    family = FAMILIES[name]
    if smoke:
        family = Family(family.preset, family.batch_size, family.batch_size * 4)
    x = _images(family.images)
    impls = {
        "keras_gen": ours(family, x, steps_per_execution, jit_compile),
        "hand_tf": hand_tf(family, x),
        "torch": hand_torch(family, x),
    }
    impls = {k: v for k, v in impls.items() if v is not None}
    for epoch in impls.values():  # trace, compile, warm up
        epoch()
    seconds = {k: [] for k in impls}
    for _ in range(runs):
        for k, epoch in impls.items():
            start = time.perf_counter()
            epoch()
            seconds[k].append(time.perf_counter() - start)
    n = family.images // family.batch_size * family.batch_size
    rates = {k: n / statistics.median(v) for k, v in seconds.items()}
    rates["flops"] = flops_per_image(family, x)
    rates["settings"] = impls["keras_gen"].settings
    return rates


OPTIONS = ((1, False), (1, True), (50, False), (50, True))


def measure_options(name, runs=5, smoke=False):
    """{(steps_per_execution, jit_compile): median images/s} of our fit."""
    family = FAMILIES[name]
    if smoke:
        family = Family(family.preset, family.batch_size, family.batch_size * 4)
    x = _images(family.images)
    impls = {o: ours(family, x, *o) for o in OPTIONS}
    for epoch in impls.values():
        epoch()
    seconds = {o: [] for o in impls}
    for _ in range(runs):
        for o, epoch in impls.items():
            seconds[o].append(_timed(epoch))
    n = family.images // family.batch_size * family.batch_size
    return {o: n / statistics.median(v) for o, v in seconds.items()}


def print_options(names, runs, smoke):
    print(f"keras_gen fit, images/s, median of {runs} interleaved epochs")
    print()
    heads = " | ".join(
        f"spe {spe}, jit {'on' if jit else 'off'}" for spe, jit in OPTIONS
    )
    print(f"| family | {heads} | fastest |")
    print("|---|" + "---|" * (len(OPTIONS) + 1))
    for name in names:
        r = measure_options(name, runs, smoke)
        best = max(r, key=r.get)
        cells = " | ".join(f"{r[o]:,.0f}" for o in OPTIONS)
        print(
            f"| {name} | {cells} | spe {best[0]}, jit {'on' if best[1] else 'off'} |",
            flush=True,
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("families", nargs="*", choices=[[], *FAMILIES], default=[])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps-per-execution", type=int, help="default: recipe's")
    parser.add_argument("--jit", choices=("on", "off"), help="default: the recipe's")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run")
    parser.add_argument(
        "--options",
        action="store_true",
        help="our fit only, steps_per_execution 1/50 x jit_compile off/on",
    )
    args = parser.parse_args(argv)
    names = args.families or list(FAMILIES)
    runs = 1 if args.smoke else args.runs
    if args.options:
        print_options(names, runs, args.smoke)
        return 0
    if torch is not None:
        torch.manual_seed(0)
    jit = None if args.jit is None else args.jit == "on"
    spe = args.steps_per_execution
    print(
        f"keras_gen: steps_per_execution={spe or 'recipe'}, "
        f"jit_compile={'recipe' if jit is None else jit}; "
        f"median of {runs} interleaved epochs; "
        f"torch {'n/a' if torch is None else torch.__version__} "
        f"({'n/a' if torch is None else torch.get_num_threads()} threads), "
        f"TF {tf.__version__}"
    )
    peak = sgemm_gflops(512 if args.smoke else 2048)
    print(f"numpy float32 matmul: {peak:.0f} GFLOP/s")
    print()
    print(
        "| family | preset | batch | keras_gen spe, jit | keras_gen img/s "
        "| hand-written TF (XLA) img/s "
        "| PyTorch eager img/s | vs TF | vs PyTorch | MFLOP/img | keras_gen GFLOP/s "
        "(of matmul peak) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        r = measure(name, runs, spe, jit, args.smoke)
        t = r.get("torch")
        vs_torch = "n/a" if t is None else f"{r['keras_gen'] / t:.2f}x"
        print(
            f"| {name} | {FAMILIES[name].preset} | {FAMILIES[name].batch_size} "
            f"| {r['settings']} | {r['keras_gen']:,.0f} | {r['hand_tf']:,.0f} "
            f"| {'n/a' if t is None else f'{t:,.0f}'} "
            f"| {r['keras_gen'] / r['hand_tf']:.2f}x "
            f"| {vs_torch} | {r['flops'] / 1e6:.1f} "
            f"| {r['keras_gen'] * r['flops'] / 1e9:.1f} "
            f"({r['keras_gen'] * r['flops'] / 1e9 / peak:.0%}) |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
