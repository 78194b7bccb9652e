"""Mode collapse on 2-D Gaussian mixtures: the plain GAN against its variants.

Usage: python benchmarks/mode_collapse.py [--mixture ring|grid] [--seeds N]
           [--steps N] [--batch-size N] [--only NAME ...] [--quick] [--out PATH]

Published numbers for the same plain GAN disagree (PacGAN: 6.3 of 8 modes, VEEGAN: 1),
because the papers differ in data, networks, budget and the coverage definition (see
/work/shared/REFERENCES.md). This script fixes one protocol for every variant:

- Data (`--mixture`): the PacGAN/VEEGAN ring, 8 Gaussians of std 0.02 on a circle
  of radius 2 (`toy.ring_of_gaussians`), or their 5 x 5 grid, 25 Gaussians of std
  0.05 spaced 2 apart (`toy.grid_of_gaussians`). Per seed, one training set of
  100,000 points, shuffled and repeated; every variant trained with that seed sees
  the same set.
- Networks, the same for every variant of a mixture (`MIXTURES`): generator z
  (2-D standard normal) -> hidden ReLU layers -> 2 (linear); discriminator or
  critic 2 -> hidden LeakyReLU(0.2) layers -> 1 logit or score, 128 -> 128 -> 128
  units for the ring. No batch norm, no dropout. A variant may add a layer to the
  discriminator (minibatch discrimination before the logit).
- Budget: the same number of generator updates (`--steps`, default 4,000) on
  minibatches of 256 for every variant. A variant with k discriminator (critic)
  updates per generator update draws k fresh real minibatches per generator update,
  as in Algorithm 1 of the GAN paper and in WGAN-GP; the table states k.
- Optimizers: Adam(1e-3, beta_1 0.5) for both players of every GAN variant (the
  learning rate from a pilot run of the non-saturating GAN, seed 0, in which 2e-4
  had not sharpened the samples within the budget). WGAN-GP (n_critic 5, lambda 10)
  runs twice: with its paper's Adam(1e-4, beta_1 0, beta_2 0.9), which is slow for
  this budget, and with the GAN rows' step size, Adam(1e-3, beta_1 0, beta_2 0.9),
  so that the step size is not the only difference from the GAN rows.
- Evaluation: 2,500 samples G(z) from fixed noise after the last update, scored by
  `toy.mode_coverage` with its defaults: a sample is high quality when it lies within
  3 std of its nearest mode, and a mode is covered when it has at least one
  high-quality sample. Reported per variant: mean +- std over the seeds (seeds 0, 1,
  ...) of the modes covered and of the high-quality percentage, and in how many
  seeds all modes were covered.

Variants are the `VARIANTS` dict of builders: the plain game's options, then the
improved techniques of Salimans et al. 2016 (minibatch discrimination, feature
matching, historical averaging), each added alone to the non-saturating GAN.
"""

import argparse
import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from keras_gen import GAN, WGANGP, layers, toy

LATENT_DIM = 2
DEFAULTS = dict(
    seeds=5, steps=4_000, batch_size=256, train_points=100_000, eval_samples=2_500
)
# --quick: seconds, for the test suite; its numbers mean nothing.
QUICK = dict(seeds=1, steps=20, batch_size=64, train_points=1_000, eval_samples=500)
RESULTS = Path(__file__).parent / "results"


@dataclasses.dataclass(frozen=True)
class Mixture:
    """A toy target: its mode centres, their std, and the networks trained on it."""

    title: str
    centres: np.ndarray
    std: float
    published: str
    units: tuple = (128, 128, 128)

    def sample(self, n, seed):
        return toy.mixture_samples(n, self.centres, self.std, seed)


MIXTURES = {
    "ring": Mixture(
        "the ring of 8 Gaussians",
        toy.ring_modes(8, 2.0),
        0.02,
        "Published, under other protocols (REFERENCES.md): PacGAN, plain GAN 6.3 +- "
        "0.5 modes, 98.2 % high quality, PacGAN2 7.9 +- 0.1, 95.6 %; VEEGAN's table, "
        "plain GAN 1 mode, Unrolled GAN 7.6 modes, 35.6 %, VEEGAN 8 modes, 52.9 %.",
    ),
    "grid": Mixture(
        "the 5 x 5 grid of 25 Gaussians",
        toy.grid_modes(5, 2.0),
        0.05,
        "PacGAN and VEEGAN report this grid too, under their own protocols; their "
        "numbers are not in REFERENCES.md and were not checked here.",
    ),
}
# The table of each mixture; the ring's keeps the name it has always had.
OUTS = {"ring": RESULTS / "mode_collapse.md", "grid": RESULTS / "mode_collapse_grid.md"}
# The networks of the running benchmark (set by `use_mixture`).
UNITS = MIXTURES["ring"].units


def use_mixture(name):
    """Makes the builders below use the networks of mixture `name`."""
    global UNITS
    UNITS = MIXTURES[name].units
    return MIXTURES[name]


def generator():
    """z -> the shared MLP -> a point of the plane."""
    z = keras.Input((LATENT_DIM,))
    h = z
    for units in UNITS:
        h = keras.layers.Dense(units, activation="relu")(h)
    return keras.Model(z, keras.layers.Dense(2)(h), name="generator")


def discriminator(name="discriminator", minibatch=None, packing=None):
    """A point of the plane -> the shared MLP -> one logit (or critic score).

    The last hidden activation is the layer named "features" (feature matching
    matches its batch means); `minibatch=(B, C)` puts a `MinibatchDiscrimination`
    layer with B kernels of dimension C between it and the logit; `packing=m`
    judges m points at once (PacGAN: `layers.Pack` before the MLP, whose first
    layer then takes 2m inputs, and `layers.Unpack` after the logit).
    """
    x = keras.Input((2,))
    h = x if packing is None else layers.Pack(packing)(x)
    for i, units in enumerate(UNITS):
        last = i == len(UNITS) - 1
        h = keras.layers.Dense(units)(h)
        h = keras.layers.LeakyReLU(0.2, name="features" if last else None)(h)
    if minibatch is not None:
        h = layers.MinibatchDiscrimination(*minibatch)(h)
    logit = keras.layers.Dense(1)(h)
    if packing is not None:
        logit = layers.Unpack(packing)(logit)
    return keras.Model(x, logit, name=name)


def adam_gan():
    return keras.optimizers.Adam(1e-3, beta_1=0.5)


def adam_wgan():
    return keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9)


def gan(minibatch=None, packing=None, **options):
    """A builder of a `GAN` on the shared networks with the given game options."""

    def build(seed):
        return GAN(
            (2,),
            LATENT_DIM,
            generator=generator(),
            discriminator=discriminator(minibatch=minibatch, packing=packing),
            noise="normal",
            input_range=None,
            seed=seed,
            **options,
        )

    return build


def wgan_gp(seed):
    return WGANGP(
        (2,),
        LATENT_DIM,
        n_critic=5,
        gp_weight=10.0,
        generator=generator(),
        discriminator=discriminator("critic"),
        noise="normal",
        input_range=None,
        seed=seed,
    )


@dataclasses.dataclass(frozen=True)
class Variant:
    """One row of the table.

    Attributes:
        label: Name shown in the table.
        build: `seed -> model` with a `compile(d_optimizer=, g_optimizer=)`.
        optimizer: Factory of a fresh optimizer (one is made per player).
        jit_compile: XLA for the train step; only speed (XLA makes the k-step GAN
            several times faster on CPU and the gradient penalty slower).
    """

    label: str
    build: Callable[[int], keras.Model]
    optimizer: Callable[[], keras.optimizers.Optimizer]
    jit_compile: bool = True


VARIANTS = {
    "minimax": Variant(
        "GAN, minimax (saturating) G loss", gan(generator_loss="minimax"), adam_gan
    ),
    "non_saturating": Variant(
        "GAN, non-saturating G loss", gan(generator_loss="non_saturating"), adam_gan
    ),
    "label_smoothing": Variant(
        "GAN, one-sided label smoothing 0.2", gan(label_smoothing=0.2), adam_gan
    ),
    "d_steps_5": Variant("GAN, k = 5 D steps", gan(d_steps=5), adam_gan),
    "wgan_gp": Variant(
        "WGAN-GP (n_critic 5, lambda 10), Adam 1e-4 (paper)",
        wgan_gp,
        adam_wgan,
        jit_compile=False,
    ),
    "wgan_gp_lr": Variant(
        "WGAN-GP (n_critic 5, lambda 10), Adam 1e-3",
        wgan_gp,
        lambda: keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.9),
        jit_compile=False,
    ),
    # B 8, C 4: every call compares all 256 x 256 pairs in each kernel, and
    # (16, 8) made the layer about 3 times slower (44 against 15 ms per pass with
    # XLA, benchmarks/minibatch_layer_speed.py, on cores shared with training).
    "minibatch_discrimination": Variant(
        "GAN + minibatch discrimination (B 8, C 4)",
        gan(minibatch=(8, 4), generator_loss="non_saturating"),
        adam_gan,
    ),
    "feature_matching": Variant(
        "GAN + feature matching (last hidden layer)",
        gan(feature_matching="features", generator_loss="non_saturating"),
        adam_gan,
    ),
    "packing_2": Variant(
        "GAN + PacGAN packing, 2 points per judgement",
        gan(packing=2, generator_loss="non_saturating"),
        adam_gan,
    ),
    "packing_4": Variant(
        "GAN + PacGAN packing, 4 points per judgement",
        gan(packing=4, generator_loss="non_saturating"),
        adam_gan,
    ),
    "historical_averaging": Variant(
        "GAN + historical averaging (lambda 1e-3)",
        gan(historical_averaging=1e-3, generator_loss="non_saturating"),
        adam_gan,
    ),
}


def mixture_dataset(mixture, seed, train_points, batch_size):
    """The seed's training set, shuffled and repeated, in minibatches."""
    x = MIXTURES[mixture].sample(train_points, seed)
    ds = tf.data.Dataset.from_tensor_slices(x).shuffle(len(x), seed=seed)
    return ds.repeat().batch(batch_size, drop_remainder=True)


def _optimizer(variant, learning_rate, cosine, steps):
    """The variant's optimizer, its step replaced by `learning_rate` (when given)
    and decayed to 0 over the `steps` updates by a cosine (when `cosine`)."""
    optimizer = variant.optimizer()
    rate = float(optimizer.learning_rate) if learning_rate is None else learning_rate
    if cosine:
        rate = keras.optimizers.schedules.CosineDecay(rate, steps)
    config = optimizer.get_config() | {"learning_rate": rate}
    return type(optimizer).from_config(config)


def run_variant(
    name,
    seed,
    steps=DEFAULTS["steps"],
    batch_size=DEFAULTS["batch_size"],
    train_points=DEFAULTS["train_points"],
    eval_samples=DEFAULTS["eval_samples"],
    jit_compile=None,
    mixture="ring",
    learning_rate=None,
    cosine=False,
):
    """Trains one variant with one seed on one mixture and scores its samples.

    Returns:
        The dict of `toy.mode_coverage` (`modes_covered`, `high_quality`, `counts`)
        plus `d_steps` (discriminator updates per generator update) and `seconds`.
    """
    variant = VARIANTS[name]
    target = use_mixture(mixture)
    keras.utils.set_random_seed(seed)
    model = variant.build(seed)
    model.compile(
        d_optimizer=_optimizer(variant, learning_rate, cosine, steps),
        g_optimizer=_optimizer(variant, learning_rate, cosine, steps),
        steps_per_execution=int(np.gcd(steps, 100)),
        jit_compile=variant.jit_compile if jit_compile is None else jit_compile,
    )
    start = time.perf_counter()
    data = mixture_dataset(mixture, seed, train_points, batch_size)
    model.fit(data, epochs=1, steps_per_epoch=steps, verbose=0)
    samples = model.generate(model.noise_batch(eval_samples, seed=10_000 + seed))
    result = toy.mode_coverage(samples.numpy(), target.centres, target.std)
    return result | {
        "d_steps": getattr(model, "d_steps", 1),
        "seconds": time.perf_counter() - start,
    }


def summarize(name, runs, modes_total):
    """One table row (a dict) from the per-seed results of one variant."""
    modes = np.array([r["modes_covered"] for r in runs], float)
    quality = 100 * np.array([r["high_quality"] for r in runs])
    return dict(
        name=name,
        label=VARIANTS[name].label,
        d_steps=runs[0]["d_steps"],
        modes_mean=modes.mean(),
        modes_std=modes.std(),
        all_modes=int((modes == modes_total).sum()),
        quality_mean=quality.mean(),
        quality_std=quality.std(),
        per_seed=", ".join(
            f"{m:.0f} / {q:.1f}" for m, q in zip(modes, quality, strict=True)
        ),
        seconds=np.mean([r["seconds"] for r in runs]),
        runs=runs,
    )


def table(rows, command, seconds, settings, mixture="ring"):
    """The markdown results file."""
    target = MIXTURES[mixture]
    modes = len(target.centres)
    lines = [
        f"# Mode collapse on {target.title}",
        "",
        f"Command: `{command}` ({seconds:.0f} s wall time in all, on 2 shared CPU "
        "cores).",
        "",
        f"Protocol (module docstring of benchmarks/mode_collapse.py): {target.title}"
        f", std {target.std:g}; {settings['train_points']:,} "
        f"training points per seed; generator {LATENT_DIM}-"
        + "-".join(map(str, UNITS))
        + "-2 (ReLU), discriminator/critic 2-"
        + "-".join(map(str, UNITS))
        + f"-1 (LeakyReLU) for every variant; {settings['steps']:,} generator "
        f"updates on minibatches of {settings['batch_size']}; "
        f"{settings['eval_samples']:,} samples scored per run; high quality = within "
        f"3 std of the nearest mode, a mode is covered by >= 1 high-quality sample. "
        f"Mean +- std over seeds {settings.get('first_seed', 0)} to "
        f"{settings.get('first_seed', 0) + settings['seeds'] - 1}.",
        "",
        f"| variant | D updates per G update | modes covered (of {modes}) | seeds "
        f"with all {modes} | high-quality samples % | per seed: modes / % | seconds "
        "per run |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['label']} | {r['d_steps']} | {r['modes_mean']:.1f} +- "
            f"{r['modes_std']:.1f} | {r['all_modes']} of {len(r['runs'])} | "
            f"{r['quality_mean']:.1f} +- {r['quality_std']:.1f} | {r['per_seed']} | "
            f"{r['seconds']:.0f} |"
        )
    lines += ["", target.published, ""]
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mixture", choices=list(MIXTURES), default="ring")
    parser.add_argument("--seeds", type=int, help=f"default {DEFAULTS['seeds']}")
    parser.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="seeds first-seed, first-seed + 1, ... (a pilot uses other seeds)",
    )
    parser.add_argument(
        "--steps", type=int, help=f"generator updates, default {DEFAULTS['steps']}"
    )
    parser.add_argument(
        "--batch-size", type=int, help=f"default {DEFAULTS['batch_size']}"
    )
    parser.add_argument(
        "--only", nargs="+", choices=list(VARIANTS), help="run only these variants"
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"tiny smoke-test settings: {QUICK}"
    )
    parser.add_argument("--lr", type=float, help="every variant's Adam step")
    parser.add_argument(
        "--cosine", action="store_true", help="decay the step to 0 over --steps"
    )
    parser.add_argument(
        "--out", help="markdown table written here (default: the mixture's file)"
    )
    args = parser.parse_args(argv)
    for key in ("seeds", "steps", "batch_size"):
        value = getattr(args, key)
        if value is not None and value < 1:
            parser.error(f"--{key.replace('_', '-')} must be >= 1, got {value}")
    return args


def main(argv=None):
    """Runs the benchmark, writes the table to --out and returns its rows."""
    args = parse_args(argv)
    settings = dict(QUICK if args.quick else DEFAULTS)
    for key in ("seeds", "steps", "batch_size"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    names = args.only or list(VARIANTS)
    default_out = str(OUTS[args.mixture])
    out = args.out or default_out
    command = "python benchmarks/mode_collapse.py"
    if args.mixture != "ring":
        command += f" --mixture {args.mixture}"
    command += "".join(
        f" --{key.replace('_', '-')} {getattr(args, key)}"
        for key in ("seeds", "steps", "batch_size")
        if getattr(args, key) is not None
    )
    command += f" --first-seed {args.first_seed}" * (args.first_seed != 0)
    if args.lr is not None:
        command += f" --lr {args.lr:g}"
    command += " --cosine" * args.cosine
    command += " --quick" * args.quick
    if args.only:
        command += " --only " + " ".join(args.only)
    if out != default_out:
        command += f" --out {out}"
    start = time.perf_counter()
    rows = []
    for name in names:
        runs = [
            run_variant(
                name,
                seed,
                settings["steps"],
                settings["batch_size"],
                settings["train_points"],
                settings["eval_samples"],
                # XLA compiling costs more than it saves on a few steps.
                jit_compile=False if args.quick else None,
                mixture=args.mixture,
                learning_rate=args.lr,
                cosine=args.cosine,
            )
            for seed in range(args.first_seed, args.first_seed + settings["seeds"])
        ]
        rows.append(summarize(name, runs, len(MIXTURES[args.mixture].centres)))
        print(
            f"{VARIANTS[name].label}: modes {rows[-1]['per_seed']} "
            f"({rows[-1]['seconds']:.0f} s per run)",
            flush=True,
        )
        settings["first_seed"] = args.first_seed
        text = table(rows, command, time.perf_counter() - start, settings, args.mixture)
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text)
    print(text)
    return rows


if __name__ == "__main__":
    main()
