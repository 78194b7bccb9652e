# %% [markdown]
# # 07 · Semi-supervised learning from 100 labels
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/keras-gen/keras_gen/blob/main/tutorials/07_semi_supervised.ipynb)
#
# Three generative models that learn an MNIST classifier from 100 labelled images and
# 60,000 unlabelled ones: Kingma et al.'s M2 VAE, the semi-supervised adversarial
# autoencoder and the K+1-class semi-supervised GAN. We see how keras_gen mixes the
# labelled and unlabelled examples, how each model uses them, and their test errors
# side by side: measured here, measured by the repository, and reported by the papers.

# %%
# Installs keras_gen on Colab; does nothing where it is already installed.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("keras_gen") is None:
    subprocess.check_call(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "git+https://github.com/keras-gen/keras_gen",
        ]
    )

# %%
import os

# Fast mode (KERAS_GEN_FAST=1, what CI runs) cuts epochs and sample counts.
FAST = os.environ.get("KERAS_GEN_FAST") == "1"
print("Mode:", "fast (KERAS_GEN_FAST=1)" if FAST else "full")

import inspect

import absl.logging
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

import keras_gen

absl.logging.set_verbosity(absl.logging.ERROR)  # TFDS deprecation chatter
keras.utils.set_random_seed(0)
print(keras_gen.data.prepare("mnist"))  # builds MNIST once; instant afterwards

# %% [markdown]
# ## 1 · 100 labels among unlabelled images: `load_semi_supervised`
#
# `keras_gen.data.load_semi_supervised` builds the batches all three models train on.
# Every training image appears once per epoch *without* its label (label
# `keras_gen.data.UNLABELLED`, i.e. -1); a class-balanced subset of
# `labelled_per_class` images per class keeps its labels and is cycled, with
# `labelled_batch_size` of them appended to every batch. With 10 per class and
# 100 per batch, every batch holds 100 unlabelled images and all 100 labelled ones,
# reshuffled.
#
# The SSAAE and SSGAN recipes train on `train[:50000]` and keep `train[50000:]` to
# choose epoch budgets on; we use the same split in full mode and its first 5,000
# images in fast mode (the 100 labelled images are then drawn from those).
#
# One caution, found while writing this notebook: such a dataset gives the same
# batches on its first pass in every run, but the order of the cycled labelled part
# varies from run to run on later passes (a second loop, the next epoch), apparently
# because it is read ahead by a varying amount and every reshuffle advances the
# shuffle's seed. `fit` itself reads the first batch once to check it before
# training, so even a fresh dataset is on its second pass when training starts. To
# keep this notebook's outputs the same in every run, `fixed_batches(n)` keeps the
# first pass's n batches in memory (as uint8) and `fit` reads them from there.

# %%
split = "train[:5000]" if FAST else "train[:50000]"


def semi_supervised_batches():
    """A fresh dataset of 100 unlabelled + 100 labelled images per batch."""
    return keras_gen.data.load_semi_supervised(
        "mnist", split, 100, labelled_per_class=10, labelled_batch_size=100, seed=0
    )


def fixed_batches(n):
    """The first pass's first n batches, held in memory: the same in every run."""
    xs, ys = zip(*semi_supervised_batches().take(n), strict=True)
    pixels = tf.cast(tf.round(tf.stack(xs) * 255), tf.uint8)
    held = tf.data.Dataset.from_tensor_slices((pixels, tf.stack(ys)))
    return held.shuffle(n, seed=0).map(lambda x, y: (tf.cast(x, tf.float32) / 255, y))


batches = list(semi_supervised_batches().take(3))
for i, (xb, yb) in enumerate(batches):
    labels = yb.numpy()
    counts = np.bincount(labels[labels >= 0], minlength=10)
    print(
        f"batch {i}: {xb.shape[0]} images, {np.sum(labels == -1)} with label -1, "
        f"labelled per class {counts}"
    )
labelled = [xb.numpy()[yb.numpy() >= 0] for xb, yb in batches]
distinct = {img.tobytes() for imgs in labelled for img in imgs}
print("distinct labelled images over the 3 batches:", len(distinct))

# %% [markdown]
# These 100 images are all the supervision the SSAAE and the SSGAN below get (the M2
# preset was trained with the 100 that its recipe drew from the whole train split):

# %%
x0, y0 = batches[0]
order = np.argsort(y0.numpy()[100:], kind="stable")
fig, ax = plt.subplots(figsize=(5, 5))
ax.imshow(
    keras_gen.plot.image_grid(x0.numpy()[100:][order], ncols=10)[..., 0], cmap="gray"
)
ax.set_title("the 100 labelled training images, by class")
ax.axis("off")
plt.show()

# %% [markdown]
# ## 2 · M2: a VAE with the label as a latent variable (`m2_mnist_100labels`)
#
# Kingma et al.'s M2 is the generative model p(y) p(z) p(x|y, z) with inference
# networks q(y|x) and q(z|x, y). A labelled example has the ELBO of a conditional VAE
# (notebook 03) plus a classification term; for an unlabelled one, y is summed out
# under q(y|x):
#
# $$\mathcal{L}(x, y) = -\log p(x|y, z) + \mathrm{KL}\big(q(z|x,y)\,\|\,p(z)\big)
# - \log p(y),$$
#
# $$\text{labelled: } \mathcal{L}(x, y) - \alpha \log q(y|x),\qquad
# \text{unlabelled: } \mathcal{U}(x) = \sum_y q(y|x)\,\mathcal{L}(x, y)
# - \mathcal{H}\big(q(y|x)\big).$$
#
# The unlabelled images teach q(y|x) through U(x): the classifier is pushed toward the
# classes under which the generative model explains x best. The preset is M1 + M2:
# M2 models the 50-D codes of the pretrained `vae_mnist` (notebook 03), with a
# Gaussian likelihood, instead of the pixels. In one mixed batch, `compute_losses`
# gives each row its own term: the labelled rows are classified, the -1 rows take the
# sum over the ten classes.

# %%
m2 = keras_gen.zoo.create_model("m2_mnist_100labels", pretrained=True)
print(f"M1: a {type(m2.m1).__name__} with {m2.m1.latent_dim}-D codes")
terms = m2.compute_losses(x0, y0)
loss, is_labelled = terms["loss"].numpy(), y0.numpy() >= 0
print(f"mean loss, labelled rows:   {loss[is_labelled].mean():7.2f} nats")
print(f"mean loss, unlabelled rows: {loss[~is_labelled].mean():7.2f} nats")
ce, weights = terms["cross_entropy"]
print(
    f"cross-entropy of the labelled rows: {np.sum(ce * weights) / np.sum(weights):.4f}"
)

# %% [markdown]
# Its test error on all 10,000 test images, measured here with
# `keras_gen.evaluation.evaluate` (argmax q(y|x), test images binarized with a fixed
# seed as the card measures them), and ten samples per class from p(x|y, z):

# %%
test_binary = keras_gen.data.load("mnist", "test", 1000, binarize="static")
m2_error = keras_gen.evaluation.evaluate(m2, test_binary)["error"]
print(f"M1 + M2 test error: {m2_error:.2%} (card: 3.77 %)")

fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.imshow(
    keras_gen.plot.image_grid(m2.class_grid(10).reshape(-1, 28, 28, 1), 10)[..., 0],
    cmap="gray",
)
ax.set_title("m2.class_grid(10): p(x | y, z), y = 0..9")
ax.axis("off")
plt.show()

# %% [markdown]
# ## 3 · The semi-supervised adversarial autoencoder (`ssaae_mnist_100labels`)
#
# Makhzani et al.'s SSAAE has an encoder with two heads, a softmax y and a style code z;
# the decoder reconstructs x from [y, z]. Two discriminators push y toward one-hot
# categorical samples and z toward N(0, I). Does the zoo ship its weights?

# %%
print("presets with weights:", keras_gen.zoo.list_models("*100labels", pretrained=True))
print("without:", keras_gen.zoo.list_models("*100labels", pretrained=False))
try:
    keras_gen.zoo.create_model("ssaae_mnist_100labels", pretrained=True)
except ValueError as error:
    print("ValueError:", str(error).split(" in ")[0])

# %% [markdown]
# No weights (the same as `keras-gen list` says): the repository trained it but its
# error missed the bar it set itself, so nothing was shipped (section 5 has its
# numbers). Every training step runs four phases on the batch, each with its own
# optimizer; this is the library's own `train_step`:

# %%
print(inspect.getsource(keras_gen.SemiSupervisedAAE.train_step))
ssaae = keras_gen.zoo.create_model("ssaae_mnist_100labels")  # untrained
print(ssaae.optimizer_networks)
print(f"{ssaae.count_params():,} parameters")

# %% [markdown]
# 1. reconstruction: encoder and decoder minimize the pixels' cross-entropy;
# 2. regularization: the two discriminators learn to tell prior samples from codes;
# 3. the encoder learns to fool both (`g_optimizer`);
# 4. semi-supervised: the encoder's y head minimizes the cross-entropy of the
#    labelled examples.
#
# The preset adds two fixes found in the repository's runs
# (`benchmarks/results/ssaae_runs.md`): Gaussian noise of 0.3 on the discriminators'
# inputs (`discriminator_noise`: without it the y-discriminator saturated the softmax,
# and a saturated softmax passes no reconstruction gradient to q(y|x)) and phases 1-3
# on the unlabelled examples only (`unlabelled_phases`, the paper's split).
#
# An epoch of 50,000 images takes about a minute on 2 CPU cores. Full mode trains it
# for 2 epochs with the recipe's optimizers (the 500 batches of one pass, in a new
# order in the second epoch), fast mode for 20 steps (a smoke test; section 5 has the
# repository's real runs).

# %%
recipe = keras_gen.zoo.get_preset("ssaae_mnist_100labels").recipe
print("recipe optimizers:", recipe["optimizers"])
ssaae.compile(
    ae_optimizer=keras.optimizers.Adam(1e-3),
    d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
    g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
    ss_optimizer=keras.optimizers.Adam(1e-3),
    steps_per_execution=10,
    jit_compile=False,
)
train = fixed_batches(20 if FAST else 500)  # 500 batches: one pass of train[:50000]
ssaae.fit(train, epochs=1 if FAST else 2, verbose=2)
ssaae_steps = int(ssaae.ae_optimizer.iterations)
test_grey = keras_gen.data.load("mnist", "test", 1000)
ssaae_error = keras_gen.evaluation.evaluate(ssaae, test_grey)["error"]
print(f"SSAAE test error after {ssaae_steps} steps: {ssaae_error:.2%}")


# %% [markdown]
# ## 4 · The K+1-class semi-supervised GAN (`ssgan_mnist_100labels`)
#
# Salimans et al. (2016) turn the GAN's discriminator into a classifier with K + 1
# classes: the K digits and "generated". Its logits are l_1..l_K and l_{K+1}; since a
# softmax does not change when the same number is added to every logit, l_{K+1} can be
# fixed at 0 with no loss. Then, with Z(x) = sum_k exp l_k(x),
#
# $$p(y = K+1 \mid x) = \frac{1}{Z(x) + 1},\qquad
# D(x) = 1 - p(y = K+1 \mid x) = \frac{Z(x)}{Z(x) + 1}.$$
#
# (Course notes 004 print this as "p_model(y = K+1|x) = 1 D(x)": the minus sign is
# lost; it is 1 - D(x).) The discriminator minimizes
# L = L_supervised + L_unsupervised: the cross-entropy of the labelled examples over
# the K real classes, plus the GAN's -log D(x) on real images and -log(1 - D(G(z))) on
# generated ones. keras_gen writes both in terms of log Z, so they stay finite for any
# logits, and weights the two parts 1 : 1 as the paper's equation does (the released
# script halves the unlabelled part, REFERENCES.md). The library's code:

# %%
print(inspect.getsource(keras_gen.losses.k_plus_one_real_loss))
print(inspect.getsource(keras_gen.losses.k_plus_one_fake_loss))
print(inspect.getsource(keras_gen.SemiSupervisedGAN._d_loss))

# %% [markdown]
# A check against the explicit K+1 softmax with its last logit at 0:

# %%
logits = keras.random.normal((6, 10), seed=1) * 3
p = tf.nn.softmax(tf.concat([logits, tf.zeros((6, 1))], -1))
d_real = 1 - p[:, 10]  # D(x)
print(
    "-log D(x) matches:",
    np.allclose(
        keras_gen.losses.k_plus_one_real_loss(logits), -np.log(d_real), atol=1e-5
    ),
)
print(
    "-log(1 - D) matches:",
    np.allclose(
        keras_gen.losses.k_plus_one_fake_loss(logits), -np.log(p[:, 10]), atol=1e-5
    ),
)
shifted = tf.nn.softmax(tf.concat([logits + 5, 5 * tf.ones((6, 1))], -1))
print("adding 5 to every logit changes nothing:", np.allclose(p, shifted, atol=1e-6))

# %% [markdown]
# The generator does not descend -log D(G(z)) here: it matches the mean of the
# discriminator's last hidden layer (`feature_matching="features"`) on real and
# generated batches. The class scores for testing come from a moving average of the
# discriminator's weights (`classifier_ema_decay=0.999`), as the released code
# scores its test error. The weight-normalized layers need a data-dependent
# initialization on a first batch: `initialize(x)`, which `keras-gen train` calls; it
# also starts the moving-average classifier from the initialized weights.
#
# The zoo has no weights for it. One epoch is 500 steps, about a minute on 2 cores, and
# the paper trains 300. Fast mode runs 20 steps (a smoke test), full mode 2 epochs,
# both with the recipe's Adam(3e-3, beta_1=0.5). After t steps the moving average
# still holds 0.999^t of its starting point (98 % after 20 steps, 37 % after 1,000),
# so for such short runs we also print the error of the trained discriminator.

# %%
ssgan = keras_gen.zoo.create_model("ssgan_mnist_100labels")  # no weights exist
ssgan.compile(
    d_optimizer=keras.optimizers.Adam(3e-3, beta_1=0.5),
    g_optimizer=keras.optimizers.Adam(3e-3, beta_1=0.5),
    steps_per_execution=10,
    jit_compile=False,
)
ssgan.initialize(x0)
ssgan.fit(train, epochs=1 if FAST else 2, verbose=2)
ssgan_steps = int(ssgan.d_optimizer.iterations)
ssgan_error = keras_gen.evaluation.evaluate(ssgan, test_grey)["error"]
x_test, y_test = keras_gen.data.load_numpy("mnist", "test")
raw = ssgan.discriminator.predict(x_test / 255.0, batch_size=1000, verbose=0)
raw_error = np.mean(np.argmax(raw, -1) != y_test)
print(
    f"SSGAN test error after {ssgan_steps} steps: {ssgan_error:.2%} (moving average, "
)
print(f"what predict_classes uses), {raw_error:.2%} (the trained discriminator)")

# %% [markdown]
# ## 5 · Side by side
#
# Test error on the 10,000 MNIST test images with 100 labels. "Here" is what this
# notebook measured; the repository's numbers were measured by the commands listed;
# the papers' numbers are the papers' (from `REFERENCES.md`), never ours.
#
# - **M1 + M2** (`m2_mnist_100labels`, 300 epochs, one run with one draw of the
#   labels): 3.77 %, by `keras-gen evaluate m2_mnist_100labels` (its card).
#   Paper (Kingma et al. 2014, quoted from memory in REFERENCES.md): M1 + M2
#   3.33 +- 0.14 %, M2 alone 11.97 +- 1.71 %.
# - **SSAAE** (`ssaae_mnist_100labels`), run 3, 10 epochs, seeds 0/1/2: 9.17, 13.92
#   and 15.44 %, mean 12.84 % (std 2.67), by `python benchmarks/aae_epoch_budget.py
#   seeds ssaae_mnist_100labels outputs/ssaae3_s0 outputs/ssaae3_s1
#   outputs/ssaae3_s2 --metric error`
#   (`benchmarks/results/ssaae_mnist_100labels_run3_seeds.md`). Run 4, 40 epochs:
#   13.34, 24.03 and 18.13 %, mean 18.50 % (std 4.37), the same command on
#   `benchmarks/inprogress/ssaae4_s0..2` (`..._run4_seeds.md`). Paper (Makhzani et
#   al. 2015): 1.90 +- 0.10 %.
# - **Labels only** (the SSAAE's encoder network trained on the 100 labelled images
#   alone, the control): 23.11 % (std 1.83 over 3 seeds), by
#   `python benchmarks/labels_only_baseline.py --seeds 0 1 2 --steps 2000`.
# - **K+1 SSGAN** (`ssgan_mnist_100labels`): no measured test error. The one run,
#   `python benchmarks/ssgan_table.py run --labels 100 --seed 0 --epochs 2 ...`, was a
#   2-epoch speed probe (1,888 errors, 18.9 %) that `benchmarks/results/ssgan_runs.md`
#   marks "a speed probe, not a result". Paper (Salimans et al. 2016, Table 1):
#   93 +- 6.5 errors of 10,000 (0.93 %).
#
# The README's benchmark table still shows only run 3 of the SSAAE. The longer run 4
# was worse and its seeds disagreed (`benchmarks/results/ssaae_runs.md`), which the
# repository reads as an unstable recipe rather than a short budget. The chart below
# uses run 3 for the repository's SSAAE.

# %%
rows = [
    ("M1 + M2", m2_error, "pretrained, 300 epochs", 0.0377, 0.0333),
    ("SSAAE", ssaae_error, f"{ssaae_steps} steps here", 0.1284, 0.0190),
    ("K+1 SSGAN", ssgan_error, f"{ssgan_steps} steps here", None, 0.0093),
]
print(f"{'model':10s} {'here':>8s}  {'':24s} {'repository':>10s} {'paper':>7s}")
for name, here, how, repo, paper in rows:
    here_s = "-" if here is None else f"{here:.2%}"
    repo_s = "-" if repo is None else f"{repo:.2%}"
    print(f"{name:10s} {here_s:>8s}  {how:24s} {repo_s:>10s} {paper:>7.2%}")

fig, ax = plt.subplots(figsize=(8, 3.2))
width = 0.27
for i, (_, here, _, repo, paper) in enumerate(rows):
    for k, (value, colour, label) in enumerate(
        [
            (here, "C0", "here"),
            (repo, "C1", "repository (10 epochs for the SSAAE)"),
            (paper, "C2", "paper"),
        ]
    ):
        if value is not None:
            ax.bar(
                i + (k - 1) * width,
                100 * value,
                width,
                color=colour,
                label=label if i == 0 else None,
            )
ax.set_xticks(range(len(rows)), [r[0] for r in rows])
ax.set_yscale("log")
ax.set_ylabel("test error, % (log scale)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# What the comparison says:
#
# - M1 + M2 is the one model here with shipped weights, and the measurement in this
#   notebook reproduces its card; it is about 0.4 points from the paper's M1 + M2
#   (a single run against the paper's mean over label draws).
# - The repository's SSAAE learns from the unlabelled images (12.84 % against 23.11 %
#   for the labels alone) but stays far from the paper's 1.90 %. The SSAAE and SSGAN
#   numbers measured *here* come from at most 2 epochs of training (20 steps of each
#   in fast mode), against 10 to 300 epochs for the
#   other numbers: they show the code running end to end and, in full mode, where
#   two epochs get each model, not what the models can do.
# - The SSGAN has no measured error in the repository yet: the paper's 0.93 % is the
#   target, not a result of this library.

# %% [markdown]
# ## What next
#
# - **03 · Variational autoencoders with TensorFlow Probability**: the ELBO, the
#   reparameterization trick and `vae_mnist`, the M1 under this notebook's M2.
# - **04 · Adversarial autoencoders**: the unsupervised AAE that the SSAAE extends.
# - **06 · DCGAN and the improved techniques**: feature matching and the other
#   techniques of Salimans et al. (2016), on sample quality.
# - **09 · The pretrained zoo in five minutes**: every preset with weights.
# - To train a preset as the repository does: `keras-gen train ssgan_mnist_100labels
#   --epochs 300 --out runs/ssgan` (hours on a CPU; resumable with `--resume`).
