# %% [markdown]
# # 03 · Variational autoencoders with TensorFlow Probability
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/keras-gen/keras_gen/blob/main/tutorials/03_vae_tfp.ipynb)
#
# A keras_gen `VAE` is built from `tfp.distributions` objects: q(z|x), p(z) and p(x|z).
# This notebook uses the pretrained zoo VAEs to check the ELBO term by term, to see
# why the reparameterization trick gives low-variance gradients, to draw the 2-D
# manifold and latent interpolations, to tighten the importance-sampled log-likelihood
# with k, and to ask a conditional VAE for the digit you want.

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
import tensorflow_probability as tfp

import keras_gen

tfd = tfp.distributions
absl.logging.set_verbosity(absl.logging.ERROR)  # TFDS deprecation chatter
keras.utils.set_random_seed(0)
print(keras_gen.data.prepare("mnist"))  # builds MNIST once; instant afterwards

# %% [markdown]
# ## 1 · The ELBO is a reconstruction term plus a KL term
#
# For any q(z|x),
#
# $$\log p(x) = \mathrm{ELBO}(x) + \mathrm{KL}\big(q(z|x)\,\|\,p(z|x)\big),$$
#
# $$\mathrm{ELBO}(x) = \mathbb{E}_{q}[\log p(x|z)]
# - \mathrm{KL}\big(q(z|x)\,\|\,p(z)\big).$$
#
# The KL in the first equation is to the *true posterior* p(z|x), which we cannot
# compute; it is >= 0, so the ELBO is a lower bound on log p(x). The KL inside the
# ELBO is to the *prior* p(z), and for a Gaussian q and a N(0, I) prior it has a
# closed form. (Course notes 001 write "log p(x) = ELBO + KL divergence" and then
# call the ELBO's regularizer "KL divergence" too, and say that minimizing the KL is
# maximizing the ELBO. That holds for the first KL, to the true posterior, at a fixed
# decoder; the second, to the prior, is a term inside the ELBO, and driving it to 0
# alone would make q(z|x) ignore x.)
#
# The training loss is -ELBO = reconstruction + KL, with reconstruction =
# -E_q[log p(x|z)]: the binary cross-entropy for Bernoulli pixels.
#
# `vae_mnist` is the one-stochastic-layer VAE of the IWAE paper (784-200-200-50 tanh,
# Bernoulli pixels), pretrained. We encode 500 test digits, binarized once with a fixed
# seed as its card measures them: `encode` returns q(z|x) itself, a TFP distribution.

# %%
vae = keras_gen.zoo.create_model("vae_mnist", pretrained=True)
test = keras_gen.data.load("mnist", "test", 500, binarize="static", supervised=True)
x, y = next(iter(test))

q = vae.encode(x)
print(type(q).__name__, "batch", q.batch_shape, "event", q.event_shape)
print("reparameterization:", q.reparameterization_type)
print("prior:", vae.prior)

# %% [markdown]
# Now both terms by hand with TFP. The KL is analytic (`tfd.kl_divergence`); we also
# estimate it by Monte Carlo, E_q[log q(z|x) - log p(z)], to see it is the same
# quantity. The reconstruction term is an expectation over q, estimated here with
# S = 20 draws per image (`q.sample(S)`), decoded by `vae.decode`, which returns
# p(x|z) as a TFP `Independent(Bernoulli)`.

# %%
S = 20
z = q.sample(S, seed=(0, 1))  # [S, 500, 50]
x_rep = tf.broadcast_to(x, (S, *x.shape))
log_px_z = vae.decode(tf.reshape(z, (-1, 50))).log_prob(
    tf.reshape(x_rep, (-1, 28, 28, 1))
)
reconstruction = -tf.reduce_mean(tf.reshape(log_px_z, (S, -1)), 0)  # per image
kl = tfd.kl_divergence(q, vae.prior)  # per image, closed form
kl_mc = tf.reduce_mean(q.log_prob(z) - vae.prior.log_prob(z), 0)

print(f"reconstruction  {np.mean(reconstruction):7.2f} nats")
print(f"KL analytic     {np.mean(kl):7.2f} nats   Monte Carlo {np.mean(kl_mc):7.2f}")
print(f"ELBO            {-np.mean(reconstruction + kl):7.2f} nats")

# %% [markdown]
# And the model's own numbers: `compute_losses` is what `fit` minimizes and what
# `keras-gen evaluate` averages. It draws one z per image from q with `q.sample()`.
# Its `loss` is exactly its `reconstruction + kl` for every image, its `kl` is our
# analytic KL, and its reconstruction agrees with our 20-draw estimate within the
# Monte Carlo error of one draw per image.

# %%
terms = vae.compute_losses(x)
print(
    "loss == reconstruction + kl:",
    np.allclose(terms["loss"], terms["reconstruction"] + terms["kl"]),
)
print("model kl == tfd.kl_divergence:", np.allclose(terms["kl"], kl, atol=1e-4))
one_draw = -tf.reshape(log_px_z, (S, -1))[0]
se = np.std(one_draw - reconstruction) / np.sqrt(len(x))
print(
    f"model reconstruction {np.mean(terms['reconstruction']):.2f} "
    f"vs ours {np.mean(reconstruction):.2f} (one-draw s.e. {se:.2f})"
)
print(
    f"model ELBO {-np.mean(terms['loss']):.2f} nats on these 500 images "
    "(card: -91.14 on all 10,000)"
)

# %% [markdown]
# ## 2 · The reparameterization trick: gradients flow through `sample()`
#
# Training needs the gradient of E_q[f(z)] (here f(z) = -log p(x|z), the
# reconstruction) with respect to q's mean mu and scale sigma. TFP's
# `MultivariateNormalDiag` is `FULLY_REPARAMETERIZED`: `q.sample()` computes
# z = mu + sigma * eps with eps ~ N(0, I) drawn apart from the parameters, so a
# `tf.GradientTape` differentiates straight through the draw:
# d f / d mu = f'(z), d f / d sigma = f'(z) * eps.
#
# The course notes get this slightly wrong twice. Notes 001 say backpropagation was
# impossible "because the mean and variance are set randomly"; they are not: mu and
# sigma are deterministic outputs of the encoder, and only the draw is random. The
# trick moves that randomness into eps, which does not depend on the parameters.
# Notes 002 describe the trick as "one random sample as the representative value";
# using one sample is a separate Monte Carlo choice (keras_gen's training step does
# draw one z per image), and it works with or without the trick.
#
# The alternative that needs no reparameterization is the score-function (REINFORCE)
# estimator, f(z) * grad log q(z) with z held fixed. Both are unbiased. We compare
# their per-draw spread on one test digit, with N independent single-draw estimates:
# one copy of (mu, sigma) per draw, so the tape gives every draw its own gradient.

# %%
N = 2000
q0 = vae.encode(x[:1])
mu = tf.Variable(tf.repeat(q0.mean(), N, axis=0))  # [N, 50], one copy per draw
sigma = tf.Variable(tf.repeat(q0.stddev(), N, axis=0))
x0 = tf.repeat(x[:1], N, axis=0)

with tf.GradientTape(persistent=True) as tape:
    qn = tfd.MultivariateNormalDiag(mu, sigma)
    zn = qn.sample(seed=(0, 2))  # differentiable in mu and sigma
    f = -vae.decode(zn).log_prob(x0)  # [N] reconstruction of each draw
    score = tf.stop_gradient(f) * qn.log_prob(tf.stop_gradient(zn))
    baseline = tf.reduce_mean(-vae.decode(qn.sample(seed=(0, 3))).log_prob(x0))
    score_b = tf.stop_gradient(f - baseline) * qn.log_prob(tf.stop_gradient(zn))

grads = {
    "reparameterized": tape.gradient(f, [mu, sigma]),
    "score function": tape.gradient(score, [mu, sigma]),
    "score function - baseline": tape.gradient(score_b, [mu, sigma]),
}
j = int(np.argmax(np.abs(np.mean(grads["reparameterized"][0], 0))))
reference = np.mean(np.var(grads["reparameterized"][0], 0))
print(f"coordinate j = {j}; variances are per draw, averaged over the 50 mu_j")
for name, (g_mu, g_sigma) in grads.items():
    mean, se = np.mean(g_mu[:, j]), np.std(g_mu[:, j]) / np.sqrt(N)
    var_mu, var_sigma = np.mean(np.var(g_mu, 0)), np.mean(np.var(g_sigma, 0))
    print(
        f"{name:26s} d/dmu_j = {mean:6.2f} +- {se:4.2f}   variance: "
        f"mu {var_mu:8.1f} ({var_mu / reference:5.0f} x), sigma {var_sigma:8.1f}"
    )


# %% [markdown]
# The three estimators aim at the same gradient (their means agree within their own
# Monte Carlo error, which is largest for the score function), but one
# reparameterized draw is worth many score-function draws. Subtracting a baseline (here
# the mean f over a separate set of draws) removes most of the score function's extra
# variance but not all of it. The per-coordinate spread, on a log scale, shows one
# more thing: the reparameterized gradient is almost 0 on most coordinates. Those are
# the VAE's inactive units, whose posterior is the prior (sigma about 1, printed
# below) and which the decoder ignores, so f does not change along them; the score
# function, which never looks at f'(z), stays noisy there (medians printed below).

# %%
inactive = q0.stddev().numpy()[0] > 0.9
print(f"{inactive.sum()} of 50 units have sigma > 0.9 for this digit; std of the")
for name, (g_mu, _) in grads.items():
    spread = np.std(g_mu, 0)
    print(
        f"  {name:26s} gradient: {np.median(spread[inactive]):7.2f} on them, "
        f"{np.median(spread[~inactive]):7.2f} on the others (medians)"
    )

fig, ax = plt.subplots(figsize=(9, 3))
for name, (g_mu, _) in grads.items():
    ax.plot(np.std(g_mu, 0), "o-", ms=3, label=name)
ax.set_yscale("log")
ax.set_xlabel("latent coordinate j")
ax.set_ylabel("std of one-draw d f / d mu_j")
ax.legend()
plt.show()

# %% [markdown]
# ## 3 · The 2-D manifold: decode a grid of the prior's quantiles
#
# `vae2d_mnist` has a 2-D code, so the whole latent space fits on a page. The grid
# is not evenly spaced in z: it is the inverse normal CDF of an even grid in (0, 1)
# (Kingma & Welling's figure 4), so every cell holds the same prior mass and the
# picture shows the prior, not its far tails. `vae.manifold(n)` does exactly this;
# here we also build the grid by hand and check it matches.

# %%
vae2d = keras_gen.zoo.create_model("vae2d_mnist", pretrained=True)
n = 20
quantiles = tfd.Normal(0.0, 1.0).quantile(
    np.linspace(0.5 / n, 1 - 0.5 / n, n).astype("float32")
)
z1, z2 = np.meshgrid(quantiles, quantiles[::-1])  # z2 decreases down the rows
grid = vae2d.decode(np.stack([z1.ravel(), z2.ravel()], -1)).mean()
print("matches vae2d.manifold(20):", np.allclose(grid, vae2d.manifold(n), atol=1e-6))
print("quantiles from", np.round(quantiles[:2], 2), "to", np.round(quantiles[-1], 2))

codes = vae2d.encode(x).mean().numpy()
fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4.4))
a.imshow(keras_gen.plot.image_grid(grid, ncols=n, pad=0)[..., 0], cmap="gray")
a.set_title("decoded grid of prior quantiles")
a.axis("off")
points = b.scatter(
    codes[:, 0], codes[:, 1], c=y, cmap="tab10", s=6, vmin=-0.5, vmax=9.5
)
b.plot(z1, z2, "+", color="0.3", ms=3, alpha=0.5)
b.set_title("posterior means of 500 test digits")
b.set_xlabel("z1")
b.set_ylabel("z2")
fig.colorbar(points, ax=b, ticks=range(10))
plt.show()

# %% [markdown]
# The grey crosses on the right are the grid's points: their spacing widens toward the
# edges, where the prior has little mass, and the coloured clusters of test digits sit
# where the left panel draws the same digits.
#
# ## 4 · Interpolating between two digits in latent space
#
# `vae.interpolate(x_a, x_b, steps)` decodes points on the straight line between the
# two posterior means (here in the 50-D code of `vae_mnist`). Along the latent path
# the strokes move and bend from one digit into the other (blurry in the middle,
# where the code is between the two classes); mixing the pixels instead only
# cross-fades two images laid over each other.

# %%
labels = y.numpy()
pairs = [
    (np.argmax(labels == 2), np.argmax(labels == 7)),
    (np.argmax(labels == 4), np.argmax(labels == 9)),
]
rows = []
for i, j in pairs:
    rows.append(vae.interpolate(x[i], x[j], steps=10))
    t = np.linspace(0, 1, 10).reshape(-1, 1, 1, 1)
    rows.append((1 - t) * x[i] + t * x[j])  # pixel space, for contrast

fig, ax = plt.subplots(figsize=(10, 4.2))
ax.imshow(
    keras_gen.plot.image_grid(np.concatenate(rows), ncols=10)[..., 0], cmap="gray"
)
ax.set_yticks(
    [14 + 29 * r for r in range(4)],
    ["latent 2 -> 7", "pixels 2 -> 7", "latent 4 -> 9", "pixels 4 -> 9"],
)
ax.set_xticks([])
plt.show()

# %% [markdown]
# ## 5 · Importance-sampled log-likelihood, and how it tightens with k
#
# The ELBO is a loose bound: it is log p(x) minus the KL to the true posterior. Burda
# et al. (2016) tighten it with k importance samples from q:
#
# $$L_k(x) = \log \frac{1}{k} \sum_{i=1}^{k} \frac{p(x, z_i)}{q(z_i|x)},\qquad
# z_i \sim q(z|x).$$
#
# L_1 is the ELBO in expectation; E[L_k] never decreases with k and tends to log p(x).
# `vae.log_likelihood(x, num_samples=k)` computes it in chunks (k = 5,000 fits in
# bounded memory). In fast mode we use 300 test images and k up to 100; full mode
# uses 500 images and adds k = 1,000.

# %%
n_ll = 300 if FAST else 500
ks = [1, 10, 100] if FAST else [1, 10, 100, 1000]
bounds = {}
for k in ks:
    ll = vae.log_likelihood(x[:n_ll], num_samples=k)
    bounds[k] = ll
    se = ll.std() / np.sqrt(n_ll)
    print(f"k = {k:4d}: mean L_k = {ll.mean():7.2f} nats (s.e. {se:.2f})")
steps = [
    bounds[b].mean() - bounds[a].mean() for a, b in zip(ks[:-1], ks[1:], strict=True)
]
print("gain of each tenfold step in k:", np.round(steps, 2), "nats")
gain = bounds[ks[-1]] - bounds[1]
print(
    f"L_{ks[-1]} - L_1 per image: mean {gain.mean():.2f}, "
    f"positive for {np.mean(gain > 0):.0%} of the {n_ll} images"
)


# %% [markdown]
# The card's number (NLL 87.43, i.e. L_5000 = -87.43, over all 10,000 test images) is
# drawn as a reference line; the IWAE paper's 86.76 is the paper's, for the same
# architecture after 3,280 epochs (Burda et al. 2016, Table 1). Our subset is not the
# whole test set, so only the shape of the curve carries over: every tenfold step in k
# gains less than the one before (printed above), and the bound of a single image can
# still fall when k grows, since only its expectation is monotone.

# %%
fig, ax = plt.subplots(figsize=(7, 3.2))
ax.plot(ks, [bounds[k].mean() for k in ks], "o-", label=f"L_k on {n_ll} test images")
ax.axhline(-87.43, color="0.5", ls="--", label="card: L_5000, all 10,000 images")
ax.axhline(-86.76, color="0.5", ls=":", label="IWAE paper: L_5000 (paper's number)")
ax.set_xscale("log")
ax.set_xlabel("k (importance samples)")
ax.set_ylabel("mean bound on log p(x), nats")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 6 · Digits on demand with a conditional VAE
#
# `cvae_mnist` feeds the label to both encoder and decoder: q(z|x, y) and p(x|z, y),
# with p(z) = N(0, I) free of y. The ELBO keeps its form, now of log p(x|y). Since the
# label carries the digit's identity, z is left with the style (slant, stroke width),
# so `sample(n, labels=d)` draws digit d in random styles, and decoding one digit's
# code with other labels writes the other digits in its style. We check the samples
# with the zoo's `mnist_classifier` (test accuracy 99.56 %, its card).

# %%
cvae = keras_gen.zoo.create_model("cvae_mnist", pretrained=True)
samples = cvae.class_grid(10)  # [10, 10, 28, 28, 1]: 10 samples of each class
classifier = keras_gen.zoo.create_model("mnist_classifier", pretrained=True)
predicted = classifier.predict_classes(samples.reshape(-1, 28, 28, 1))
asked = np.repeat(np.arange(10), 10)
agree = np.sum(predicted == asked)
print(f"classifier agrees with the requested label for {agree} of 100 samples")

m = 5  # five test digits: encode each with its own label, decode with every label
style = cvae.encode(x[:m], labels=y[:m]).mean()
restyled = cvae.decode(np.repeat(style, 10, axis=0), labels=np.tile(np.arange(10), m))
restyled = np.reshape(restyled.mean(), (m, 10, 28, 28, 1))
restyled = np.concatenate([np.asarray(x[:m])[:, None], restyled], 1)

fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4), width_ratios=[1, 1.1])
a.imshow(
    keras_gen.plot.image_grid(samples.reshape(-1, 28, 28, 1), ncols=10)[..., 0],
    cmap="gray",
)
a.set_title("cvae.sample(10, labels=d), d = 0..9 by row")
a.axis("off")
b.imshow(
    keras_gen.plot.image_grid(restyled.reshape(-1, 28, 28, 1), ncols=11)[..., 0],
    cmap="gray",
)
b.set_title("a test digit (left), its z decoded with labels 0..9")
b.axis("off")
plt.show()

# %% [markdown]
# ## What next
#
# - **04 · Adversarial autoencoders**: replace the KL term with a discriminator that
#   matches the codes to any prior you can sample.
# - **07 · Semi-supervised learning from 100 labels**: M2 builds on this VAE (the
#   M1 + M2 preset models the `vae_mnist` codes), beside an adversarial autoencoder
#   and a K+1-class GAN.
# - **09 · The pretrained zoo in five minutes**: every preset used here, and the rest.
# - `help(keras_gen.VAE)` lists the other likelihoods (Gaussian, continuous
#   Bernoulli), beta-VAEs, KL warm-up and the learned mixture prior.
