# %% [markdown]
# # 05 · GANs from the game
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/keras-gen/keras_gen/blob/main/tutorials/05_gan_game.ipynb)
#
# A GAN is a two-player game. We check its theory numerically on 1-D densities (the
# optimal discriminator, and the identity C(G) = -log 4 + 2 JSD), watch gradient play
# fail to converge on the x·y game, compare the saturating and non-saturating generator
# losses, and train keras_gen's `GAN` (Algorithm 1, k discriminator steps) on MNIST
# beside the pretrained `gan_mnist`.

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
from keras_gen import divergences, losses, toy

absl.logging.set_verbosity(absl.logging.ERROR)  # TFDS deprecation chatter
keras.utils.set_random_seed(0)
print(keras_gen.data.prepare("mnist"))  # builds MNIST once; instant afterwards

# %% [markdown]
# ## 1 · The value function V(D, G)
#
# The discriminator D(x) is the probability that x is real; the generator G maps
# noise z to examples. The game (Goodfellow et al. 2014) is
#
# $$\min_G \max_D V(D, G), \qquad V(D, G) = \mathbb{E}_{x \sim p_{data}}[\log D(x)]
# + \mathbb{E}_{z \sim p_z}[\log(1 - D(G(z)))].$$
#
# Writing p_g for the distribution of G(z), the second expectation is
# E_{x ~ p_g}[log(1 - D(x))], so V depends on G only through p_g.
# `keras_gen.divergences` works with distributions given as arrays: probabilities, or
# density values on a uniform grid (each function normalizes them, so the grid spacing
# cancels). Here p_data is a mixture of two Gaussians and p_g one wide Gaussian, on
# 2,001 points of [-8, 8]. V is computed for three discriminators: the coin flip
# D = 1/2, which gives log 1/2 + log 1/2 = -log 4 whatever p_g is, the optimal D* of
# section 2, and D* pushed 0.05 towards "real".

# %%
x = np.linspace(-8.0, 8.0, 2001)


def normal(x, mean, std):
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


p_data = 0.5 * normal(x, -2.0, 0.6) + 0.5 * normal(x, 1.5, 1.0)
p_g = normal(x, 0.0, 1.5)
d_star = divergences.optimal_discriminator(p_data, p_g)

for name, d in [
    ("D = 1/2", np.full_like(x, 0.5)),
    ("D*", d_star),
    ("D* + 0.05", np.clip(d_star + 0.05, 0.0, 1.0)),
]:
    print(f"V({name:9s}, G) = {divergences.gan_value(p_data, p_g, d):+.4f}")
print(f"-log 4           = {-np.log(4):+.4f}")

# %% [markdown]
# ## 2 · The optimal discriminator D* = p_data / (p_data + p_g)
#
# For a fixed G, V is an integral over x of a log D(x) + b log(1 - D(x)) with
# a = p_data(x) and b = p_g(x). Each point can be maximized on its own: the derivative
# a/D - b/(1 - D) vanishes at D = a / (a + b), which is Proposition 1 of the paper
# (`divergences.optimal_discriminator`). We check it by brute force, searching 4,001
# values of D at every x, and plot D* with the two densities: D* is above 1/2 where the
# data is denser than the generator, below where the generator is.

# %%
candidates = np.linspace(0.0, 1.0, 4001)[1:-1, None]
a = p_data / p_data.sum()
b = p_g / p_g.sum()
pointwise = a * np.log(candidates) + b * np.log1p(-candidates)  # [3999, 2001]
d_search = candidates[pointwise.argmax(0), 0]
print("largest |D_search - D*| over x:", np.abs(d_search - d_star).max())

fig, ax = plt.subplots(figsize=(8, 3))
ax.plot(x, p_data, label="p_data")
ax.plot(x, p_g, label="p_g")
ax.plot(x, d_star, "k", label="D* = p_data / (p_data + p_g)")
ax.plot(x[::80], d_search[::80], "r.", label="brute-force argmax of V")
ax.axhline(0.5, color="gray", lw=0.5)
ax.set_xlabel("x")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 3 · C(G) = -log 4 + 2 JSD(p_data || p_g), and why the symmetrised KL fails
#
# Put D* back into V: the generator faces the *virtual training criterion*
#
# $$C(G) = \max_D V(D, G) = \mathbb{E}_{p_{data}}\Big[\log
# \frac{p_{data}}{p_{data} + p_g}\Big] + \mathbb{E}_{p_g}\Big[\log
# \frac{p_g}{p_{data} + p_g}\Big].$$
#
# Multiplying each fraction by 2/2 gives, with the mixture M = (p_data + p_g)/2,
#
# $$C(G) = -\log 4 + \mathrm{KL}(p_{data} \| M) + \mathrm{KL}(p_g \| M)
# = -\log 4 + 2\,\mathrm{JSD}(p_{data} \| p_g),$$
#
# because the Jensen-Shannon divergence *is* JSD(P || Q) = 1/2 KL(P || M) +
# 1/2 KL(Q || M) (`divergences.js_divergence`). The course notes (002) define the JSD as
# (KL(P || Q) + KL(Q || P)) / 2 instead: that is the symmetrised KL
# (`divergences.symmetric_kl`), a different quantity. We compute C(G)
# (`divergences.virtual_training_criterion`) for p_data = N(0, 1) and p_g = N(mu, 1)
# at growing mu, plus two uniform densities with disjoint supports, and compare it with
# both right-hand sides.

# %%
p = normal(x, 0.0, 1.0)
cases = {f"N({mu:g}, 1)": normal(x, mu, 1.0) for mu in (0, 0.5, 1, 2, 3, 5)}
p_left = ((x > -4) & (x < -1)).astype(float)
cases["disjoint"] = ((x > 1) & (x < 4)).astype(float)

print(f"{'p_g':10s} {'C(G)':>9s} {'-log4+2JSD':>11s} {'-log4+2SKL':>11s}")
for name, q in cases.items():
    p_case = p_left if name == "disjoint" else p
    c = divergences.virtual_training_criterion(p_case, q)
    jsd = round(-np.log(4) + 2 * divergences.js_divergence(p_case, q), 12) + 0.0
    skl = -np.log(4) + 2 * divergences.symmetric_kl(p_case, q)
    print(f"{name:10s} {c:+9.4f} {jsd:+11.4f} {skl:+11.4f}")

# %% [markdown]
# The true JSD matches C(G) to rounding in every row; the symmetrised KL matches only
# at p_g = p_data, where both divergences are 0. Two reasons:
#
# - **The derivation compares each distribution with the mixture M, not with each
#   other.** D* has p_data + p_g in its denominator, so the logs are log(p_data / 2M)
#   and log(p_g / 2M): KL(p_data || M) and KL(p_g || M) appear, never KL(p_data || p_g).
# - **The bounds differ.** V is an expectation of logs of probabilities, so C(G) <= 0,
#   and C(G) >= V(1/2, G) = -log 4. The JSD lies in [0, log 2], so -log 4 + 2 JSD lies
#   in [-log 4, 0] as it must. The symmetrised KL is unbounded: mu^2 / 2 for two unit
#   Gaussians (the table's values above 0 are impossible for C(G)) and infinite for
#   disjoint supports, where C(G) = 0 exactly (D* = 1 on the data, 0 on the samples).
#
# Two smaller slips in the same derivation of the notes: the intermediate line should
# read ∫ p_data log(2 p_data / (p_data + p_g)) + ∫ p_g log(2 p_g / (p_data + p_g)) -
# log 4 (the notes write log(1 - 2 p_data / (p_data + p_g)) and - log 2), and the
# result is then restated as "MinV(G) = JSD(p_data || p_g)", dropping the factor 2 and
# the -log 4: the minimum of C(G) is -log 4, reached when p_g = p_data, not 0. The plot
# sweeps mu from 0 to 4.

# %%
mus = np.linspace(0, 4, 41)
curves = np.array(
    [
        [
            divergences.virtual_training_criterion(p, normal(x, mu, 1.0)),
            -np.log(4) + 2 * divergences.js_divergence(p, normal(x, mu, 1.0)),
            -np.log(4) + 2 * divergences.symmetric_kl(p, normal(x, mu, 1.0)),
        ]
        for mu in mus
    ]
)
fig, ax = plt.subplots(figsize=(8, 3))
ax.plot(mus, curves[:, 0], "k", lw=4, alpha=0.3, label="C(G) = max_D V(D, G)")
ax.plot(mus, curves[:, 1], "b--", label="-log 4 + 2 JSD (true JSD)")
ax.plot(mus, curves[:, 2], "r:", label="-log 4 + 2 (KL(P||Q) + KL(Q||P)) / 2")
ax.axhline(0, color="gray", lw=0.5)
ax.axhline(-np.log(4), color="gray", lw=0.5)
ax.set_ylim(-1.6, 1.0)
ax.set_xlabel("mu, the mean of p_g = N(mu, 1); p_data = N(0, 1)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 4 · Gradient play on x·y does not converge
#
# The course notes' (000) smallest game: min over x, max over y of V(x, y) = x y. Its
# only equilibrium is (0, 0). Simultaneous gradient steps are x <- x - lr y and
# y <- y + lr x: a rotation scaled by sqrt(1 + lr^2) > 1, so every step *moves away*
# from the equilibrium and the players spiral outwards (`toy.bilinear_game`).
# Alternating steps (y already sees the new x), as Algorithm 1 alternates the players,
# keep a bounded orbit instead: the distance to (0, 0) stays close to its start and
# never goes to 0. A smaller step spirals out more slowly over the same "time"
# lr x steps, and still does not converge. The course notes (004) say that enough
# capacity in G and D guarantees convergence: that is the paper's Proposition 2, which
# assumes D reaches its optimum after every change of G and G moves in the space of
# distributions. Gradient steps on the players' parameters carry no such guarantee, as
# this two-parameter game shows.

# %%
start = (1.0, 1.0)
runs = {
    "simultaneous, lr 0.1": toy.bilinear_game(200, lr=0.1, start=start),
    "alternating, lr 0.1": toy.bilinear_game(
        200, lr=0.1, start=start, alternating=True
    ),
    "simultaneous, lr 0.02": toy.bilinear_game(1000, lr=0.02, start=start),
}
for name, path in runs.items():
    r = np.hypot(path[:, 0], path[:, 1])
    print(
        f"{name:22s} distance to (0, 0): start {r[0]:.3f}, end {r[-1]:.3f}, "
        f"smallest {r.min():.3f}"
    )
print("predicted end, simultaneous lr 0.1:", np.sqrt(2) * (1 + 0.1**2) ** 100)

fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for name, path in runs.items():
    axes[0].plot(path[:, 0], path[:, 1], lw=1, label=name)
    steps = np.arange(len(path)) * (0.02 if "0.02" in name else 0.1)
    axes[1].plot(steps, np.hypot(path[:, 0], path[:, 1]), label=name)
axes[0].plot(0, 0, "k*", ms=10)
axes[0].set(xlabel="x (minimizer)", ylabel="y (maximizer)", aspect="equal")
axes[1].set(xlabel="lr x steps", ylabel="distance to the equilibrium")
axes[1].legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 5 · Algorithm 1: k discriminator steps per generator step
#
# The paper trains the game by minibatch stochastic gradients, alternating the players:
#
# 1. **k times:** draw m noise samples and m real examples; update D by *ascending*
#    (1/m) Σ [log D(x) + log(1 - D(G(z)))].
# 2. **Once:** draw m fresh noise samples; update G by *descending*
#    (1/m) Σ log(1 - D(G(z))) (section 6 changes this loss).
#
# `keras_gen.GAN(d_steps=k)` is exactly this `train_step`: k discriminator phases, each
# on its own real and noise minibatch, then one generator phase, each with its own
# optimizer (`compile(d_optimizer=..., g_optimizer=...)`). `fit` regroups the data so
# that one step holds the k real minibatches of one iteration: an epoch is still one
# pass over the data for the discriminator, with one generator update per k minibatches.
# We check the counts on a tiny GAN and 2,000 images in minibatches of 100: 20
# minibatches, so k = 3 gives 6 steps (the last 2 minibatches do not fill a step), 18
# discriminator updates and 6 generator updates. (The paper used k = 1, "the least
# expensive option".)

# %%
small = keras_gen.data.load("mnist", "train[:2000]", 100, supervised=False)
tiny = keras_gen.GAN(
    latent_dim=16,
    generator_units=(64,),
    discriminator_units=(32,),
    maxout_pieces=2,
    d_steps=3,
    seed=0,
)
tiny.compile(
    d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    jit_compile=False,  # XLA compiling costs more than it saves on 6 steps
)
tiny.fit(small, epochs=1, verbose=2)
print("discriminator updates:", int(tiny.d_optimizer.iterations))
print("generator updates:    ", int(tiny.g_optimizer.iterations))

# %% [markdown]
# ## 6 · Saturating and non-saturating generator losses
#
# Descending log(1 - D(G(z))) is the literal game (`generator_loss="minimax"`). Early
# in training G is poor and D rejects its samples confidently, D(G(z)) ≈ 0, where
# log(1 - D) is flat. The paper's fix is to let G *maximize* log D(G(z)) instead
# (`generator_loss="non_saturating"`, the default): the same fixed point, but strong
# gradients exactly when G is losing. keras_gen's discriminators output a logit l with
# D = sigmoid(l), and its losses are written on l (`losses.minimax_generator_loss` is
# -softplus(l) = log(1 - D), `losses.modified_generator_loss` is softplus(-l) =
# -log D), so they stay finite when D saturates. Their derivatives in l are -D and
# -(1 - D): as D(G(z)) -> 0 the saturating gradient vanishes like D itself, the
# non-saturating one tends to 1. We differentiate the library's losses with a
# GradientTape.

# %%
logits = tf.constant(np.linspace(-12.0, 4.0, 161), tf.float32)
with tf.GradientTape(persistent=True) as tape:
    tape.watch(logits)
    saturating = losses.minimax_generator_loss(logits)
    non_saturating = losses.modified_generator_loss(logits)
g_sat = tape.gradient(saturating, logits).numpy()
g_ns = tape.gradient(non_saturating, logits).numpy()
d_of_g = tf.sigmoid(logits).numpy()

fig, ax = plt.subplots(figsize=(7, 3.2))
ax.loglog(d_of_g, np.abs(g_sat), label="descend log(1 - D(G(z)))  (minimax)")
ax.loglog(d_of_g, np.abs(g_ns), label="descend -log D(G(z))  (non-saturating)")
ax.set_xlabel("D(G(z)): how real D finds the sample")
ax.set_ylabel("|d loss / d logit|")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The same happens with real networks. We put the pretrained `gan_mnist` discriminator
# (a confident one) against an *untrained* generator of the same architecture, and
# compare the norm of the gradient of each loss with respect to the generator's
# weights on 256 noise vectors.

# %%
pretrained = keras_gen.zoo.create_model("gan_mnist", pretrained=True)
fresh = keras_gen.zoo.create_model("gan_mnist")  # same networks, random weights
z = tf.constant(fresh.noise_batch(256, seed=1))
for name, loss_fn in [
    ("minimax (saturating)", losses.minimax_generator_loss),
    ("non-saturating", losses.modified_generator_loss),
]:
    with tf.GradientTape() as tape:
        fake = fresh.generator(z, training=False)
        fake_logits = pretrained.discriminate(fake)[1]
        loss = tf.reduce_mean(loss_fn(fake_logits))
    grads = tape.gradient(loss, fresh.generator.trainable_variables)
    print(f"{name:21s} |grad| = {tf.linalg.global_norm(grads).numpy():.3e}")
print(f"discriminator logits on these samples: mean {np.mean(fake_logits):.1f}")
print(f"D(G(z)) = sigmoid(logit), largest: {np.max(tf.sigmoid(fake_logits)):.2e}")

# %% [markdown]
# The discriminator's logits on these samples are so negative that D(G(z)) rounds to 0
# in float32: the saturating loss gives the generator a gradient of exactly zero, the
# non-saturating one a usable gradient. With the minimax loss this generator could not
# start learning against this discriminator.

# %% [markdown]
# ## 7 · Training on MNIST
#
# `gan_mnist` keeps the paper's networks (a 1200-1200 ReLU generator with a sigmoid
# output, a maxout discriminator of 240 units x 5 pieces with dropout), adds batch norm
# to the generator, trains 150 epochs on train[:50000] with Adam 2e-4, k = 1 and the
# non-saturating loss, and samples from a moving average of the generator's weights
# (`ema_decay=0.9999`). Its card reports a Parzen-window test log-likelihood of
# 204.5 ± 2.3 nats (`keras-gen evaluate gan_mnist`); the GAN paper's Table 1 reports
# 225 ± 2 for its own model. Here are 40 of its samples from fixed noise.


# %%
def show_grid(ax, images, title, ncols=10):
    ax.imshow(keras_gen.plot.image_grid(images, ncols=ncols)[..., 0], cmap="gray")
    ax.set_title(title, fontsize=9)
    ax.axis("off")


fig, ax = plt.subplots(figsize=(6, 2.6))
show_grid(ax, pretrained.generate(pretrained.noise_batch(40, seed=0)), "gan_mnist")
plt.show()

# %% [markdown]
# Now the same preset untrained, fitted by `fit` like any Keras model. We turn the
# moving average off (`ema_decay=None`, an override a non-pretrained preset accepts) so
# that the samples come from the generator being trained, and cut the run into short
# "epochs" with `steps_per_epoch` so that the history has several points. `fit` logs
# four numbers per epoch:
#
# - `d_loss`: -[log D(x) + log(1 - D(G(z)))], the discriminator's loss, i.e. -V on the
#   minibatch;
# - `g_loss`: the generator's loss, here -log D(G(z));
# - `d_real` and `d_fake`: the mean of D(x) on real and of D(G(z)) on generated
#   examples.
#
# At the game's equilibrium (p_g = p_data, D = 1/2) `d_real` = `d_fake` = 0.5,
# `d_loss` = log 4 ≈ 1.386 (minus the C(G) of section 3) and `g_loss` = log 2 ≈ 0.693.
# (In fast mode this trains for 30 steps, so the samples are still noise; full mode
# trains 6,000 steps, 10 passes over the 60,000 images, about 6 to 10 minutes on 2 CPU
# cores.)

# %%
epochs, steps = (3, 10) if FAST else (20, 300)
train = keras_gen.data.load("mnist", "train", 100, supervised=False, repeat=True)
gan = keras_gen.zoo.create_model("gan_mnist", ema_decay=None)
gan.compile(
    d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    steps_per_execution=10,
    jit_compile=not FAST,  # XLA pays off over a long run only
)
history = gan.fit(train, epochs=epochs, steps_per_epoch=steps, verbose=2)
print({k: [round(v, 3) for v in vals] for k, vals in history.history.items()})

# %% [markdown]
# The curves, with the equilibrium values as dotted lines, and the trained generator's
# samples from the same fixed noise as above. The discriminator wins first: within the
# first few hundred updates `d_real` goes towards 1, `d_fake` towards 0 and `g_loss`
# up, the regime of section 6 in which only the non-saturating loss keeps the generator
# learning. Fast mode's 30 updates show only this phase, and its samples are still
# noise. In full mode the generator then catches up: after the first epochs `d_real`
# and `d_fake` drift back towards 1/2 and the losses towards their equilibrium values,
# without reaching them in 6,000 updates, and the samples become digits. The losses
# measure the state of the game, not the quality of the samples: notebook 06 measures
# that with FID.

# %%
h = history.history
steps_done = steps * np.arange(1, epochs + 1)
fig, axes = plt.subplots(1, 3, figsize=(10, 3))
axes[0].plot(steps_done, h["d_loss"], "o-", label="d_loss")
axes[0].plot(steps_done, h["g_loss"], "o-", label="g_loss")
axes[0].axhline(np.log(4), ls=":", color="C0")
axes[0].axhline(np.log(2), ls=":", color="C1")
axes[0].set_xlabel("generator updates")
axes[0].legend(fontsize=8)
axes[1].plot(steps_done, h["d_real"], "o-", label="d_real = mean D(x)")
axes[1].plot(steps_done, h["d_fake"], "o-", label="d_fake = mean D(G(z))")
axes[1].axhline(0.5, ls=":", color="gray")
axes[1].set(xlabel="generator updates", ylim=(0, 1))
axes[1].legend(fontsize=8)
show_grid(axes[2], gan.generate(gan.noise_batch(40, seed=0)), "our GAN", ncols=8)
plt.show()

# %% [markdown]
# ## What next
#
# - **06 · DCGAN and the improved techniques**: convolutional players, FID on a domain
#   classifier, feature matching, minibatch discrimination, historical averaging,
#   one-sided label smoothing, virtual batch norm, and mode collapse on toy mixtures.
# - **07 · Semi-supervised learning from 100 labels**: the K+1-class GAN of Salimans et
#   al. 2016 as a classifier.
# - **04 · Adversarial autoencoders**: the same game played on a latent code.
# - **09 · The pretrained zoo in five minutes**: `gan_mnist` and the other presets.
