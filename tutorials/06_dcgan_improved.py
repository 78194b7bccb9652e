# %% [markdown]
# # 06 · DCGAN and the improved techniques
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/keras-gen/keras_gen/blob/main/tutorials/06_dcgan_improved.ipynb)
#
# Convolutional players (DCGAN) and the improved techniques of Salimans et al. 2016 as
# keras_gen exposes them: feature matching, minibatch discrimination, historical
# averaging, one-sided label smoothing and virtual batch normalization. We measure
# samples with FID on a domain classifier, make a toy GAN collapse and cure it with
# feature matching, and compare the pretrained MNIST GANs of the zoo.

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

import absl.logging
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

import keras_gen
from keras_gen import features, layers, losses, metrics, toy

absl.logging.set_verbosity(absl.logging.ERROR)  # TFDS deprecation chatter
keras.utils.set_random_seed(0)
print(keras_gen.data.prepare("mnist"))  # builds MNIST once; instant afterwards

N_EVAL = 1000 if FAST else 5000  # samples per FID; the cards use 10,000
rng = np.random.default_rng(0)
print("samples per FID:", N_EVAL)

# %% [markdown]
# ## 1 · DCGAN: convolutional players
#
# Radford et al. (2016) made GANs train on images with a few architectural rules:
# strided convolutions instead of pooling in the discriminator, transposed
# convolutions in the generator, batch norm in both (not on the discriminator's input
# layer or the generator's output), ReLU in the generator, LeakyReLU in the
# discriminator, and Adam(2e-4, beta_1=0.5). `keras_gen.DCGAN` builds those players and
# plays the same k-step game as `GAN` (notebook 05). The pretrained `dcgan_mnist` maps
# z in R^100 to a 7x7x64 map, then two stride-2 transposed convolutions (64, 32
# filters) to 28x28; its discriminator has two stride-2 convolutions (32, 64 filters)
# and one logit. It trained 15 epochs.

# %%
dcgan = keras_gen.zoo.create_model("dcgan_mnist", pretrained=True)
for network in (dcgan.generator, dcgan.discriminator):
    print(f"{network.name}: {network.count_params():,} parameters")
    for layer in network.layers[1:]:
        print(f"  {type(layer).__name__:20s} -> {layer.output.shape[1:]}")


# %% [markdown]
# Forty of its samples, decoded from fixed noise (`noise_batch(40, seed=0)`, then
# `generate`):


# %%
def show_grid(ax, images, title, ncols=10):
    ax.imshow(keras_gen.plot.image_grid(images, ncols=ncols)[..., 0], cmap="gray")
    ax.set_title(title, fontsize=9)
    ax.axis("off")


fig, ax = plt.subplots(figsize=(6, 2.6))
show_grid(ax, dcgan.generate(dcgan.noise_batch(40, seed=0)), "dcgan_mnist samples")
plt.show()

# %% [markdown]
# ## 2 · Measuring samples: FID on a domain classifier
#
# The Fréchet distance compares two Gaussians fitted to features of real and generated
# images: ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2)). Published FIDs use
# InceptionV3 features; keras_gen uses the penultimate layer of its own
# `mnist_classifier` preset (99.56 % test accuracy), whose statistics of the 10,000
# MNIST test images ship with it (`features.frechet_distance(images)` in one call).
# These FIDs are therefore *not* comparable with InceptionV3 FIDs. From the same
# classifier come the Inception Score (`features.inception_score`, at most 10 on
# MNIST) and the class shares (`features.class_fractions`), the share of samples given
# to each digit, which shows a generator that drops or over-produces a digit. Each of
# those three calls runs the classifier over the images again; below we run it twice
# per image set (`classifier.features` and `classifier.predict_proba`) and compute all
# three from the arrays with `keras_gen.metrics`.
#
# FID depends on how many images are scored, so compare numbers only at the same
# count: here N_EVAL (printed above), on the cards 10,000. As the floor, N_EVAL real
# *training* images are scored against the same test statistics: even real digits do
# not get 0. The dcgan_mnist card reports FID 6.23, IS 7.37 and class shares
# 8.2 - 12.6 % with 10,000 samples
# (`keras-gen evaluate dcgan_mnist`).

# %%
real, _ = keras_gen.data.load_numpy("mnist", f"train[:{N_EVAL}]")
real = real.astype("float32") / 255.0


classifier = features.load_classifier()  # the pretrained mnist_classifier
test_stats = features.reference_statistics()  # (mu, sigma) of the 10,000 test images


def sample_quality(images):
    mu, sigma = metrics.feature_statistics(classifier.features(images))
    probs = classifier.predict_proba(images)
    return {
        "FID": metrics.frechet_distance_from_statistics(mu, sigma, *test_stats),
        "IS": metrics.inception_score_from_probs(probs)[0],
        "fractions": metrics.class_fractions_from_probs(probs),
    }


def print_scores(scores):
    for name, s in scores.items():
        low, high = 100 * s["fractions"].min(), 100 * s["fractions"].max()
        print(
            f"{name:18s} FID {s['FID']:6.2f}  IS {s['IS']:.2f}  "
            f"classes {low:.1f} - {high:.1f} %"
        )


dcgan_samples = dcgan.generate(dcgan.noise_batch(N_EVAL, seed=0)).numpy()
scores = {"real train images": sample_quality(real)}
scores["dcgan_mnist"] = sample_quality(dcgan_samples)
print_scores(scores)

# %% [markdown]
# ## 3 · The improved techniques (Salimans et al. 2016)
#
# "Improved techniques for training GANs" proposes five heuristics, each aimed at the
# non-convergence or the mode collapse of notebook 05. In keras_gen:
#
# - **feature matching** (paper section 3.1): `GAN(feature_matching="layer name")`, or
#   `True` for a discriminator returning `[features, logits]`; the loss is
#   `losses.feature_matching_loss` (`models/gan.py`).
# - **minibatch discrimination** (3.2): `GAN(minibatch_discrimination=(B, C))` or
#   `DCGAN(...)` puts a `layers.MinibatchDiscrimination(B, C)` before the default
#   discriminator's logit; with a discriminator of your own, put the layer in it
#   (`gan_layers.py`).
# - **historical averaging** (3.3): `GAN(historical_averaging=lam)`
#   (`models/adversarial.py`, `keep_history`).
# - **one-sided label smoothing** (3.4): `GAN(label_smoothing=alpha)`
#   (`losses.minimax_discriminator_loss`).
# - **virtual batch normalization** (3.4): a layer,
#   `layers.VirtualBatchNormalization()`, in a network of your own, with
#   `layers.set_reference_batch(network, x_ref)` (`gan_layers.py`).
#
# `DCGAN` and `ConditionalGAN` take the same options as `GAN`. The course notes (004)
# list "mini batch features: batch normalization 적용" among the improvements: minibatch
# discrimination is not batch normalization, it is the closeness features of 3.2 below
# (the notes' own next slide describes those correctly); the batch-norm variant of the
# paper is virtual batch normalization.
#
# ### Feature matching
#
# The generator stops maximizing D's output and instead matches the minibatch mean of
# an intermediate discriminator layer f: it descends ||E_x f(x) - E_z f(G(z))||^2, while
# the discriminator trains as usual. (The notes call this maximum mean discrepancy: it
# is the MMD with a linear kernel on D's features.) The option names a layer of the
# discriminator. The default networks' layers get Keras' automatic names ("flatten",
# "flatten_1", ...), which change with every model built, so name the layer of a
# discriminator you build (section 4 does), or take the name from an already built
# discriminator and pass that network in, as here: the flattened features before
# DCGAN's logit. `losses.feature_matching_loss` returns the value once per example, so
# that the batch mean the training step takes is the value itself.

# %%
d = keras_gen.DCGAN().discriminator
fm_gan = keras_gen.DCGAN(discriminator=d, feature_matching=d.layers[-2].name)
print("feature matching on layer:", fm_gan.feature_matching)

f_real = rng.standard_normal((256, 8)).astype("float32")
f_fake = rng.standard_normal((256, 8)).astype("float32") + 0.5
per_example = losses.feature_matching_loss(f_real, f_fake).numpy()
print("loss per example:", per_example[:3], "...")
print(
    "||mean f_real - mean f_fake||^2 =", np.sum((f_real.mean(0) - f_fake.mean(0)) ** 2)
)

# %% [markdown]
# ### Minibatch discrimination
#
# A discriminator that scores each example alone cannot see that a batch of samples are
# all the same digit. `layers.MinibatchDiscrimination(B, C)` multiplies the features
# f(x_i) by a learned tensor T (A x B x C), giving rows M_{i,b}, and appends o(x_i)_b =
# Σ_j exp(-||M_{i,b} - M_{j,b}||_1) for b = 1..B: how close x_i is to the rest of its
# batch, the sum including j = i. A batch of n identical examples gives o = n in every
# kernel; a varied batch gives less, down to 1 (the example's own term) when the
# examples are far apart. We feed an untrained layer 16 copies of one feature vector,
# then 16 different ones: the discriminator sees at once which batch is collapsed.

# %%
mbd = layers.MinibatchDiscrimination(num_kernels=5, kernel_dim=3)
varied = rng.standard_normal((16, 32)).astype("float32") * 3
same = np.repeat(varied[:1], 16, axis=0)
for name, batch in [("16 identical", same), ("16 different", varied)]:
    closeness = mbd(batch).numpy()[:, 32:]  # the 5 appended features
    print(f"{name}: o(x_i) averaged over i = {closeness.mean(0).round(2)}")

# %% [markdown]
# The `improved_gan_mnist` preset is `dcgan_mnist` with 100 kernels of dimension 5
# before the logit (`minibatch_discrimination=(100, 5)`). It has no pretrained weights:
# the repository measured one run (15 epochs on train[:50000], chosen on validation
# FID) at FID 5.70, IS 7.44, class shares 5.0 - 13.8 % on 10,000 samples, against
# dcgan_mnist's 6.23, 7.37, 8.2 - 12.6 %: a lower FID, but one digit got only 5 % of the
# samples, which missed the class bar, so no weights shipped
# (`benchmarks/results/improved_gan_runs.md`; measured with `python
# benchmarks/aae_epoch_budget.py seeds improved_gan_mnist FOLDER --metric fid`).

# %%
improved = keras_gen.zoo.create_model("improved_gan_mnist")
print(
    "weights shipped:",
    "improved_gan_mnist" in keras_gen.zoo.list_models(pretrained=True),
)
print("minibatch_discrimination =", improved.minibatch_discrimination)
for layer in improved.discriminator.layers[-3:]:
    print(f"  {type(layer).__name__:24s} -> {layer.output.shape[1:]}")

# %% [markdown]
# ### Historical averaging
#
# Each player's loss gets lam ||theta - (1/t) Σ_i theta_i||^2, the distance of its
# weights from their own running mean. `GAN(historical_averaging=lam)` keeps the
# running means as non-trainable weights of the model (saved and resumed with it) and
# adds the penalty in every phase. The paper reports that it finds the equilibria of
# low-dimensional games where gradient descent does not; we check that on notebook
# 05's x·y in plain NumPy (the maths is the point), simultaneous steps of 0.1, with and
# without the penalty. The running mean sits near the centre of the orbit, and the pull
# towards it turns the outward spiral into an inward one.

# %%
ha_gan = keras_gen.GAN(
    latent_dim=8,
    generator_units=(16,),
    discriminator_units=(8,),
    maxout_pieces=2,
    historical_averaging=1e-3,
)
means = [w.name for w in ha_gan.non_trainable_weights if "history" in w.name]
print(len(means), "history weights, e.g.", means[:2], "...", means[-1])


def xy_game(lam, steps, lr=0.1):
    """Simultaneous gradient play on x * y, each player penalized by
    lam * (its value - the mean of its values so far)^2."""
    x, y, sum_x, sum_y = 1.0, 1.0, 0.0, 0.0
    for t in range(steps):
        pull_x = 2 * lam * (x - sum_x / t) if t else 0.0
        pull_y = 2 * lam * (y - sum_y / t) if t else 0.0
        x, y = x - lr * (y + pull_x), y + lr * (x - pull_y)
        sum_x, sum_y = sum_x + x, sum_y + y
    return np.hypot(x, y)


for lam in (0.0, 0.1):
    dist = [f"{xy_game(lam, n):.3g}" for n in (200, 1000, 2000)]
    print(f"lam {lam}: distance to (0, 0) after 200, 1000, 2000 steps:", dist)

# %% [markdown]
# ### One-sided label smoothing
#
# `GAN(label_smoothing=alpha)` trains the discriminator towards 1 - alpha on real
# examples and 0 on generated ones (`losses.minimax_discriminator_loss(real_logits,
# fake_logits, label_smoothing)`), so it cannot become over-confident. The optimal
# discriminator becomes D* = (1 - alpha) p_data / (p_data + p_g). Smoothing the fake
# label too (to beta) would give D* = ((1 - alpha) p_data + beta p_g) / (p_data + p_g),
# which stays at beta where there is no data at all: samples there are no longer pushed
# towards the data, which is why the paper smooths only the real side. We check the
# one-sided optimum by minimizing the library's loss over a grid of logits at each x of
# two 1-D densities, as in notebook 05.

# %%
x = np.linspace(-4.0, 5.0, 901)


def normal(x, mean, std):
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


p_data, p_g = normal(x, -0.5, 0.7), normal(x, 1.5, 0.9)
alpha = 0.2
grid = tf.constant(np.linspace(-15, 15, 3001), tf.float32)
never = tf.fill(grid.shape, -1e4)  # a logit whose loss term is 0
real_term = losses.minimax_discriminator_loss(grid, never, alpha).numpy()
fake_term = losses.minimax_discriminator_loss(-never, grid).numpy()
expected = p_data[:, None] * real_term + p_g[:, None] * fake_term  # [x, logit]
d_search = tf.sigmoid(tf.gather(grid, expected.argmin(1))).numpy()
d_formula = (1 - alpha) * p_data / (p_data + p_g)
print("largest |argmin - (1 - alpha) D*|:", np.abs(d_search - d_formula).max())

fig, ax = plt.subplots(figsize=(8, 3))
ax.plot(x, p_data / p_data.max(), color="C0", alpha=0.4, label="p_data (scaled)")
ax.plot(x, p_g / p_g.max(), color="C1", alpha=0.4, label="p_g (scaled)")
ax.plot(x, p_data / (p_data + p_g), "k", label="D*, no smoothing")
ax.plot(x, d_formula, "g", label=f"one-sided, alpha = {alpha}")
ax.plot(x[::30], d_search[::30], "g.", label="argmin of the library's loss")
two_sided = ((1 - alpha) * p_data + alpha * p_g) / (p_data + p_g)
ax.plot(x, two_sided, "r--", label=f"two-sided, alpha = beta = {alpha}")
ax.set_xlabel("x")
ax.legend(fontsize=7, loc="center right")
plt.show()

# %% [markdown]
# ### Virtual batch normalization
#
# Batch norm makes each example's output depend on the other examples of its batch,
# which in a generator correlates the samples of one batch. Virtual batch norm
# normalizes each example with the statistics of a fixed *reference batch* plus the
# example itself. It is a layer, not a `GAN` option: put
# `layers.VirtualBatchNormalization()` in the network you pass as `generator=` (or
# `discriminator=`), and record the reference statistics with
# `layers.set_reference_batch(network, x_ref)` before the first call. We build a small
# generator both ways and compare the output for one z computed alone and inside a batch
# of 64.


# %%
def small_generator(norm):
    z = keras.Input((2,))
    h = norm()(keras.layers.Dense(32)(z))
    h = keras.layers.Dense(32, activation="relu")(keras.layers.ReLU()(h))
    return keras.Model(z, keras.layers.Dense(2)(h))


z_ref = rng.standard_normal((128, 2)).astype("float32")
z_batch = rng.standard_normal((64, 2)).astype("float32")
vbn_gen = small_generator(layers.VirtualBatchNormalization)
print("VBN layers given a reference:", layers.set_reference_batch(vbn_gen, z_ref))
bn_gen = small_generator(keras.layers.BatchNormalization)
for name, net in [("virtual batch norm", vbn_gen), ("batch norm", bn_gen)]:
    alone = net(z_batch[:1], training=True).numpy()[0]
    in_batch = net(z_batch, training=True).numpy()[0]
    print(
        f"{name:18s} |G(z) alone - G(z) in a batch| = "
        f"{np.abs(alone - in_batch).max():.2e}"
    )

vbn_gan = keras_gen.GAN(
    (2,),
    2,
    generator=vbn_gen,
    discriminator=None,
    input_range=None,
    discriminator_units=(32,),
    maxout_pieces=2,
)
print("a GAN with a VBN generator:", vbn_gan.generate(z_batch[:2]).numpy().round(3))

# %% [markdown]
# The recorded statistics are a snapshot of the reference batch's inputs to the layer
# when `set_reference_batch` ran: as training changes the layers before it, they go
# stale. Train with the callback `keras_gen.callbacks.ReferenceBatch(z_ref)`, which
# records them again after every batch, so each step normalizes with the current
# weights' statistics, e.g. `vbn_gan.fit(..., callbacks=[ReferenceBatch(z_ref)])`.
# (The paper also backpropagates through the reference statistics, inside the graph;
# here they are constants of each step.)

# %% [markdown]
# ## 4 · Mode collapse on a ring of Gaussians
#
# A generator *collapses* when it maps most of its noise to a small part of the space,
# missing modes of the data. The
# standard test is the ring of 8 Gaussians (`toy.ring_of_gaussians`: radius 2, std
# 0.02), scored by `toy.mode_coverage`: a sample is *high quality* within 3 std of its
# nearest mode, and a mode is *covered* when it has at least one high-quality sample.
#
# The repository measured the plain GAN and its variants under one protocol
# (`python benchmarks/mode_collapse.py`: 2-128-128-128 MLPs, 4,000 generator updates
# of batch 256, Adam 1e-3 for both players, 5 seeds). Its table, from
# `benchmarks/results/mode_collapse.md` (k: discriminator updates per generator update;
# mean +- std over the seeds):
#
# | variant | k | modes (of 8) | seeds with all 8 | high quality % |
# | --- | --- | --- | --- | --- |
# | GAN, minimax (saturating) G loss | 1 | 8.0 +- 0.0 | 5 of 5 | 95.4 +- 0.6 |
# | GAN, non-saturating G loss | 1 | 8.0 +- 0.0 | 5 of 5 | 91.5 +- 7.4 |
# | GAN, one-sided label smoothing 0.2 | 1 | 7.8 +- 0.4 | 4 of 5 | 80.1 +- 19.0 |
# | GAN, k = 5 D steps | 5 | 7.6 +- 0.8 | 4 of 5 | 83.9 +- 8.8 |
# | WGAN-GP, Adam 1e-4 (its paper's) | 5 | 7.0 +- 2.0 | 4 of 5 | 28.7 +- 22.0 |
# | WGAN-GP, Adam 1e-3 | 5 | 6.6 +- 2.0 | 3 of 5 | 31.6 +- 19.0 |
#
# With equally fast players, the plain GAN does *not* collapse on the ring. On the 5 x 5
# grid of 25 Gaussians (`python benchmarks/mode_collapse.py --mixture grid --seeds 5
# --only non_saturating minibatch_discrimination feature_matching
# historical_averaging`, `benchmarks/results/mode_collapse_grid.md`) it misses modes on
# 4 of 5 seeds, and none of the improved techniques, each added alone without tuning,
# does better:
#
# | variant | modes covered (of 25) | seeds with all 25 | high-quality samples % |
# |---|---|---|---|
# | GAN, non-saturating G loss | 23.2 +- 1.3 | 1 of 5 | 58.6 +- 13.3 |
# | GAN + minibatch discrimination (B 8, C 4) | 9.0 +- 6.2 | 0 of 5 | 6.2 +- 9.9 |
# | GAN + feature matching (last hidden layer) | 19.6 +- 2.1 | 0 of 5 | 3.1 +- 0.7 |
# | GAN + historical averaging (lambda 1e-3) | 20.0 +- 2.0 | 0 of 5 | 26.7 +- 17.1 |
#
# Collapse is a matter of balance. The generator chases whatever the *current*
# discriminator rates highest; if the discriminator adapts slowly, all of z is mapped
# onto that one spot before the discriminator moves on. So we handicap the
# discriminator: its Adam step is 2e-4, the generator's 1e-3 (5 times larger), on
# smaller 2-64-64-64 networks. Then we train the plain non-saturating GAN, and the same
# with feature matching on the discriminator's last hidden layer (named `"features"`),
# which asks the generator to match the *batch statistics* of real data rather than to
# chase one point that D likes.

# %%
TOY_STEPS = 800 if FAST else 4000
centres, std = toy.ring_modes(8, 2.0), 0.02
ring = toy.ring_of_gaussians(50_000, seed=0)
ring_ds = (
    tf.data.Dataset.from_tensor_slices(ring)
    .shuffle(len(ring), seed=0)
    .repeat()
    .batch(256, drop_remainder=True)
)


def toy_players(units=(64, 64, 64)):
    z = keras.Input((2,))
    h = z
    for n in units:
        h = keras.layers.Dense(n, activation="relu")(h)
    generator = keras.Model(z, keras.layers.Dense(2)(h), name="generator")
    x_in = keras.Input((2,))
    h = x_in
    for i, n in enumerate(units):
        h = keras.layers.Dense(n)(h)
        h = keras.layers.LeakyReLU(
            0.2, name="features" if i == len(units) - 1 else None
        )(h)
    discriminator = keras.Model(x_in, keras.layers.Dense(1)(h), name="discriminator")
    return generator, discriminator


def train_toy(**options):
    keras.utils.set_random_seed(0)
    generator, discriminator = toy_players()
    gan = keras_gen.GAN(
        (2,),
        2,
        generator=generator,
        discriminator=discriminator,
        noise="normal",
        input_range=None,
        seed=0,
        **options,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),  # the slow player
        g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        steps_per_execution=100,
    )
    gan.fit(ring_ds, epochs=1, steps_per_epoch=TOY_STEPS, verbose=0)
    samples = gan.generate(gan.noise_batch(2500, seed=1)).numpy()
    return samples, toy.mode_coverage(samples, centres, std)


toy_runs = {
    "plain GAN": train_toy(),
    "+ feature matching": train_toy(feature_matching="features"),
}
for name, (_, cover) in toy_runs.items():
    print(
        f"{name:19s} modes covered {cover['modes_covered']} of 8, "
        f"high quality {100 * cover['high_quality']:.1f} %, "
        f"per mode {cover['counts']}"
    )

# %% [markdown]
# The plot shows 2,500 samples of each, the ring's modes as red crosses. The plain GAN
# has collapsed: its samples sit in one narrow region, covering at most one mode. With
# feature matching they spread around the whole ring and reach most or all of the
# modes. In fast mode (800 updates) they still fill the space between the modes, so few
# of them are high quality; full mode's 4,000 updates pull them onto the modes. The
# repository's grid table above shows the other side of the same mechanism: matching
# batch means does not put samples *on* the modes, and under its balanced protocol
# feature matching's samples stayed spread (3 % high quality).

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), sharex=True, sharey=True)
axes[0].scatter(*ring[:2500].T, s=2)
axes[0].set_title("data", fontsize=9)
for ax, (name, (samples, cover)) in zip(axes[1:], toy_runs.items(), strict=True):
    ax.scatter(*samples.T, s=2, alpha=0.5)
    ax.set_title(f"{name}: {cover['modes_covered']} of 8 modes", fontsize=9)
for ax in axes:
    ax.plot(*centres.T, "r+", ms=10)
    ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal")
plt.show()

# %% [markdown]
# ## 5 · The zoo's MNIST GANs side by side
#
# Three pretrained generators: `gan_mnist` (the 2014 MLP players, 150 epochs, samples
# from a moving average of the generator), `dcgan_mnist` (section 1) and `wgan_gp_mnist`
# (the same generator as dcgan_mnist against a Wasserstein critic with a gradient
# penalty, 5 critic steps per generator step, 30 epochs). Each gets the same count of
# samples from fixed noise and the scores of section 2. The cards, with 10,000 samples:
# dcgan_mnist FID 6.23, IS 7.37, classes 8.2 - 12.6 %; wgan_gp_mnist FID 10.46, IS 6.55,
# classes 7.6 - 12.7 %; gan_mnist's card reports a Parzen-window likelihood instead
# (notebook 05).

# %%
models = {
    "gan_mnist": keras_gen.zoo.create_model("gan_mnist", pretrained=True),
    "dcgan_mnist": dcgan,
    "wgan_gp_mnist": keras_gen.zoo.create_model("wgan_gp_mnist", pretrained=True),
}
samples = {"dcgan_mnist": dcgan_samples}  # scored in section 2
for name in ("gan_mnist", "wgan_gp_mnist"):
    samples[name] = models[name].generate(models[name].noise_batch(N_EVAL, seed=0))
    scores[name] = sample_quality(samples[name].numpy())
print_scores(scores)

fig, axes = plt.subplots(1, 3, figsize=(10, 2.4))
for ax, name in zip(axes, models, strict=True):
    show_grid(ax, samples[name][:30], name)
plt.show()

# %% [markdown]
# Here FID ranks the MLP `gan_mnist` first, `dcgan_mnist` second and `wgan_gp_mnist`
# last, and the Inception Score agrees. (gan_mnist's FID is not on its card: this is
# the notebook's own measurement.) The class shares add what one number hides: gan_mnist
# has the least balanced digits. The bar chart shows how each generator shares its
# samples among the ten digits (the classifier's argmax), against the 10 % of balanced
# data: gan_mnist makes only about 6 % 2s and 6s, a partial mode collapse that its FID
# alone does not reveal.

# %%
fig, ax = plt.subplots(figsize=(8, 2.8))
for i, name in enumerate(models):
    ax.bar(
        np.arange(10) + 0.27 * (i - 1),
        100 * scores[name]["fractions"],
        width=0.27,
        label=name,
    )
ax.axhline(10, color="gray", lw=0.5)
ax.set(xticks=range(10), xlabel="digit", ylabel="% of samples")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## What next
#
# - **05 · GANs from the game**: the value function, D*, the JSD identity, and why
#   gradient play orbits.
# - **07 · Semi-supervised learning from 100 labels**: the K+1-class GAN of Salimans et
#   al. 2016, section 5, trained with feature matching.
# - **09 · The pretrained zoo in five minutes**: every preset used here, and the rest.
# - **10 · Scaling out**: training these models on several devices.
