# %% [markdown]
# # 01 · Autoencoders and manifold learning
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/keras-gen/keras_gen/blob/main/tutorials/01_autoencoders.ipynb)
#
# An undercomplete autoencoder squeezes each MNIST digit through a small code and
# rebuilds it. This notebook looks at the 2-D code beside PCA and t-SNE, walks along
# the learned manifold, trains a linear autoencoder that finds PCA's subspace, and
# checks numerically that the reconstruction losses are negative log-likelihoods.

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

import keras
import matplotlib.pyplot as plt
import numpy as np
import scipy.linalg
import tensorflow_probability as tfp
from absl import logging as absl_logging
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from threadpoolctl import threadpool_limits

import keras_gen
from keras_gen.plot.latent import projections

absl_logging.set_verbosity(absl_logging.ERROR)  # TFDS's deprecation notes
keras.utils.set_random_seed(0)
tfd = tfp.distributions
print(keras_gen.data.prepare("mnist"))  # offline here; downloads on Colab

# %% [markdown]
# ## The data
#
# `keras_gen.data.load_numpy` gives a split as uint8 arrays; we scale the pixels to
# [0, 1]. Fast mode uses the first 1,000 test digits, full mode all 10,000.

# %%
N_TEST = 1000 if FAST else 10000
x_test, y_test = keras_gen.data.load_numpy("mnist", f"test[:{N_TEST}]")
x_test = x_test.astype("float32") / 255.0
print(x_test.shape, "labels", y_test[:12])

# %% [markdown]
# ## 1. An undercomplete autoencoder
#
# An autoencoder is an encoder h = f(x) followed by a decoder x' = g(h), trained to
# give back its input. Copying the input would be trivial, so the code h is made
# *smaller* than x (undercomplete): 784 pixels have to pass through 2 or 32
# numbers, and the network must keep what matters most about a digit.
#
# The zoo has two such `keras_gen.Autoencoder`s trained on the 60,000 MNIST training
# images: `ae2d_mnist` (784-512-256-**2**) and `ae_mnist` (784-512-256-**32**). Their
# preset entries hold the exact constructor arguments, so
# `keras_gen.Autoencoder(**config)` builds the same untrained network.

# %%
ae2d = keras_gen.zoo.create_model("ae2d_mnist", pretrained=True)
ae32 = keras_gen.zoo.create_model("ae_mnist", pretrained=True)
for name in ("ae2d_mnist", "ae_mnist"):
    print(name, keras_gen.zoo.get_preset(name).config)

# %% [markdown]
# `keras_gen.evaluation.evaluate` measures a model on a dataset: `bce` is the
# reconstruction loss in nats per image (section 5 shows why it is a negative
# log-likelihood), `mse` the squared error per pixel. Both fall a lot from 2 to 32
# code units. (On all 10,000 test images these are the cards' numbers; in fast mode
# we measure the first 1,000, so they differ a little.)

# %%
test_ds = keras_gen.data.load("mnist", "test", 500, supervised=False, take=N_TEST)
for name, model in (("ae2d_mnist", ae2d), ("ae_mnist", ae32)):
    scores = keras_gen.evaluation.evaluate(model, test_ds)
    print(f"{name:11s} bce {scores['bce']:6.2f} nats   mse {scores['mse']:.4f}")

# %% [markdown]
# Ten test digits (top), rebuilt from their 2-D codes (middle) and from their 32-D
# codes (bottom). Two numbers keep the rough shape of a digit, but some come back as
# another digit or as a blurred average shape; 32 numbers keep the strokes.

# %%
shown = x_test[:10]
rows = np.concatenate([shown, ae2d.reconstruct(shown), ae32.reconstruct(shown)])
fig, ax = plt.subplots(figsize=(8, 2.8))
ax.imshow(keras_gen.plot.image_grid(rows, ncols=10)[..., 0], cmap="gray")
ax.set_title("test digits / from the 2-D code / from the 32-D code")
ax.axis("off")
plt.show()

# %% [markdown]
# ## 2. The 2-D code beside PCA and t-SNE
#
# The *manifold hypothesis*: images of digits do not fill the 784-dimensional pixel
# space; they lie near a much lower-dimensional surface, and moving along it changes
# the digit meaningfully. Three ways of drawing the test digits in 2-D:
#
# - the **autoencoder's code** `ae2d.encode(x)`: a learned non-linear map, which
#   also encodes new images and has a decoder going back;
# - **PCA**: the linear projection on the two directions of largest variance (the
#   best linear 2-D map in squared error);
# - **t-SNE**: a non-parametric embedding that keeps each point's near neighbours
#   near. It has no encoder for new images and no decoder, and the sizes of its
#   clusters and the gaps between them are not reliable.
#
# `keras_gen.plot.latent.projections` computes PCA and t-SNE with scikit-learn
# (PCA-initialised t-SNE; `threads=1` keeps OpenMP from busy-waiting on shared
# cores). Fast mode embeds 500 digits, full mode 3,000.

# %%
N_MAP = 500 if FAST else 3000
maps = {"autoencoder code (ae2d_mnist)": ae2d.encode(x_test[:N_MAP]).numpy()}
maps.update(projections(x_test[:N_MAP].reshape(N_MAP, -1), seed=0, threads=1))
labels = y_test[:N_MAP]

fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
for ax, (title, points) in zip(axes, maps.items(), strict=True):
    dots = ax.scatter(*points.T, c=labels, cmap="tab10", vmin=-0.5, vmax=9.5, s=3)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(dots, ax=axes, ticks=range(10), label="digit", fraction=0.02)
plt.show()

# %% [markdown]
# The autoencoder was never shown a label, yet its code gathers most digits of a
# class together, more than PCA does. How well do the labels separate in each map?
# One number: the accuracy of a 10-nearest-neighbour classifier on the 2-D points
# (5-fold cross-validation). Points of the same digit near each other give a high
# score.

# %%
for title, points in maps.items():
    knn = KNeighborsClassifier(n_neighbors=10)
    accuracy = cross_val_score(knn, points, labels, cv=5).mean()
    print(f"{title:32s} 10-NN accuracy {accuracy:.3f}")

# %% [markdown]
# PCA, the best *linear* 2-D map, separates the digits worst. t-SNE, which optimises
# exactly for neighbourhoods, scores best, which is why the course notes call it
# "probably the best" for 2-D pictures; but only the autoencoder's map is a
# function we can apply to new images and invert with a decoder. That is what the
# next section uses.
#
# ## 3. Walking along the manifold
#
# Every point of the 2-D code space decodes to an image. `keras_gen.plot`'s
# `manifold_codes` lays out a grid of codes (here linear, over the central 98 % of
# the test codes on each axis; rows go down in z2, columns up in z1, as in the
# scatter) and `ae2d.decode` turns each into an image.

# %%
codes = maps["autoencoder code (ae2d_mnist)"]
limits = np.percentile(codes, [1, 99], axis=0).T  # ((low1, high1), (low2, high2))
grid = keras_gen.plot.manifold_codes(12, grid="linear", limits=limits)
decoded = ae2d.decode(grid).numpy()

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
left.scatter(*codes.T, c=labels, cmap="tab10", vmin=-0.5, vmax=9.5, s=3)
left.scatter(*grid.T, c="k", s=4, marker="+")
left.set_title("test codes and the 12 x 12 grid (+)", fontsize=9)
right.imshow(keras_gen.plot.image_grid(decoded, ncols=12)[..., 0], cmap="gray")
right.set_title("decoded grid: z1 across, z2 up", fontsize=9)
right.axis("off")
plt.show()

# %% [markdown]
# Neighbouring codes decode to similar images, and moving across the grid turns one
# digit smoothly into another, changing slant and thickness on the way. The code
# space is used very unevenly: the 1s are spread along a long arm while several
# classes crowd near the origin, so those get only a few grid points. Nothing in
# training asks for an even layout, and nothing makes the empty regions between
# codes meaningful: a plain autoencoder has no prior over its codes, and what the
# decoder does there is extrapolation. (The VAE of tutorial 03 adds a prior.)
#
# A straight line between the codes of two test digits, a 0 and a 1, decoded at 10
# points. It crosses the crowded centre, so it passes other digits' shapes on the
# way: a straight line in code space need not stay among the codes of real digits.

# %%
start = int(np.flatnonzero(y_test == 0)[0])
end = int(np.flatnonzero(y_test == 1)[0])
t = np.linspace(0.0, 1.0, 10, dtype="float32")[:, None]
line = (1 - t) * codes[start] + t * codes[end]
strip = np.concatenate([x_test[[start]], ae2d.decode(line), x_test[[end]]])

fig, ax = plt.subplots(figsize=(9, 1.3))
ax.imshow(keras_gen.plot.image_grid(strip, ncols=12)[..., 0], cmap="gray")
ax.set_title("a test 0, ten decoded points on the line between the codes, a test 1")
ax.axis("off")
plt.show()

# %% [markdown]
# ## 4. A linear autoencoder finds PCA's subspace
#
# Take away the non-linearities: encoder h = V x + b, decoder x' = W h + c, squared
# error. Baldi and Hornik (1989) showed that the global minimum is reached exactly
# when W's k columns span the **top-k principal subspace** of the data (the first k
# principal components), and that every other critical point is a saddle. The
# course notes say a linear autoencoder is "strongly related to PCA"; precisely, it
# finds PCA's *subspace* but not PCA's *axes*: for any invertible k x k matrix A,
# the weights (W A, A^-1 V) reconstruct exactly as well, so the columns of W need
# be neither orthogonal nor the principal components themselves.
#
# In keras_gen this model is `Autoencoder(hidden_units=(), likelihood="gaussian")`:
# no hidden layers, a linear code (`code_activation=None`, the default), and the
# Gaussian likelihood whose loss is the squared error (section 5). We train it with
# k = 12 codes on 10,000 training images (600 Adam steps in fast mode, 3,000 in full
# mode). k = 12 because the 12th and 13th eigenvalues of the covariance are 15 %
# apart: the subspace is only well defined when they differ, and the last angle
# converges at a speed set by that gap (for k = 8 the gap is 2.5 %).

# %%
K = 12
STEPS = 600 if FAST else 3000
keras.utils.set_random_seed(0)  # the same initial weights whatever ran before
train_ds = keras_gen.data.load(
    "mnist", "train[:10000]", 256, supervised=False, repeat=True
)
linear = keras_gen.Autoencoder(
    hidden_units=(), latent_dim=K, likelihood="gaussian", seed=0
)
linear.compile(
    keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-2, STEPS)),
    steps_per_execution=100,
)
history = linear.fit(train_ds, epochs=1, steps_per_epoch=STEPS, verbose=0)
print({name: round(values[-1], 4) for name, values in history.history.items()})

# %% [markdown]
# PCA of the same 10,000 images: the eigenvectors of their covariance matrix,
# largest eigenvalue first. Then the principal angles
# (`scipy.linalg.subspace_angles`) between PCA's top-12 subspace and the subspace
# spanned by the decoder's 12 columns. For scale, a random 12-D subspace of the
# 784-D pixel space is nearly perpendicular to it.

# %%
x_train, _ = keras_gen.data.load_numpy("mnist", "train[:10000]")
flat = x_train.reshape(len(x_train), -1).astype("float64") / 255.0
mean = flat.mean(0)
with threadpool_limits(limits=1):  # BLAS threads busy-wait on shared cores
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(flat, rowvar=False))
eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]
pcs = eigenvectors[:, :K]  # [784, K], orthonormal columns
print("eigenvalues 11-14:", np.round(eigenvalues[10:14], 4))

decoder_columns = linear.decoder.layers[1].kernel.numpy().T  # [784, K]
random_basis = np.random.default_rng(0).normal(size=(784, K))
angles = {
    "decoder columns": scipy.linalg.subspace_angles(decoder_columns, pcs),
    "random subspace": scipy.linalg.subspace_angles(random_basis, pcs),
}
for name, a in angles.items():
    print(f"{name:16s} principal angles (degrees): {np.round(np.degrees(a), 1)}")

# %% [markdown]
# The decoder's subspace is PCA's up to small angles; the largest is the slowest to
# converge, so it is largest after the 600 steps of fast mode (a few degrees) and
# near 0.1 degrees after the 3,000 of full mode. A random subspace is at 75 to 90
# degrees.
#
# The encoder's rows are a different story. In pixel directions where the training
# images never vary (the always-black border: 108 of the 784 pixels here) the loss
# has no gradient, so those components keep their random initial values, and in
# low-variance directions they barely move. Measured in pixel space the encoder's
# subspace is far from PCA's; restricted to the 100 directions in which the images
# vary most it matches:

# %%
encoder_rows = linear.encoder.layers[-1].kernel.numpy()  # [784, K]
top = eigenvectors[:, :100]
print("pixels that never vary:", int(np.sum(flat.std(0) == 0)))
angles["encoder rows"] = scipy.linalg.subspace_angles(encoder_rows, pcs)
angles["encoder rows, top 100 directions"] = scipy.linalg.subspace_angles(
    top @ (top.T @ encoder_rows), pcs
)
for name in ("encoder rows", "encoder rows, top 100 directions"):
    print(f"{name}: {np.round(np.degrees(angles[name]), 1)}")

# %% [markdown]
# So the linear autoencoder finds PCA's subspace. It does not find PCA's basis: the
# angle between each decoder column and the principal component of the same index
# is large, and the columns are not orthogonal (the cosine between two of them would
# be 0 for an orthogonal basis such as PCA's).

# %%
unit = decoder_columns / np.linalg.norm(decoder_columns, axis=0)
per_axis = np.degrees(np.arccos(np.clip(np.abs(np.sum(unit * pcs, 0)), 0, 1)))
gram = unit.T @ unit
print("column j vs principal component j (degrees):", np.round(per_axis, 0))
print("largest |cosine| between two decoder columns:", np.abs(gram - np.eye(K)).max())

fig, ax = plt.subplots(figsize=(7, 3))
for name, a in angles.items():
    ax.plot(range(1, K + 1), np.degrees(a)[::-1], "o-", label=name)
ax.set_xlabel("principal angle, smallest first")
ax.set_ylabel("degrees")
ax.set_title(f"subspaces vs PCA's top-{K} subspace", fontsize=10)
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The same holds for reconstructions: PCA's projection is the best any rank-12
# linear map can do in squared error, and the linear autoencoder comes close to it
# on test images it never saw.

# %%
flat_test = x_test.reshape(N_TEST, -1).astype("float64")
pca_recon = (flat_test - mean) @ pcs @ pcs.T + mean
ae_recon = linear.reconstruct(x_test).numpy().reshape(N_TEST, -1)
print(f"test mse, PCA (k={K})      {np.mean((pca_recon - flat_test) ** 2):.5f}")
print(f"test mse, linear AE (k={K}) {np.mean((ae_recon - flat_test) ** 2):.5f}")

# %% [markdown]
# ## 5. The loss is a negative log-likelihood
#
# Read the decoder's output as the parameters of a distribution p(x | h) over
# images, pixels independent given h, and minimise -log p(x | h) summed over the
# d = 784 pixels. The choice of distribution *is* the choice of loss:
#
# - **Bernoulli** with p = sigmoid(logits): -log p(x|h) = -sum_i [x_i log p_i +
#   (1 - x_i) log(1 - p_i)], the **binary cross-entropy**;
# - **Gaussian** N(mu, sigma^2 I): -log p(x|h) = ||x - mu||^2 / (2 sigma^2) +
#   d log(sigma sqrt(2 pi)) = d MSE / (2 sigma^2) + const.
#
# `Autoencoder(likelihood="bernoulli" | "gaussian")` picks one (the decoder then
# outputs logits or means), and `keras_gen.losses.reconstruction_terms` computes
# its per-example terms. First the Bernoulli case, with `ae_mnist`'s logits: the
# library's loss against the formula written out in NumPy (float64), and against
# TensorFlow Probability's `Bernoulli` on binarized digits (for which it is a
# genuine likelihood).

# %%
x = x_test[:100]
logits = ae32.decoder(ae32.encoder(x)).numpy()
library = keras_gen.losses.reconstruction_terms(x, logits, "bernoulli")["loss"]
l64, x64 = logits.astype("float64"), x.astype("float64")
log_p, log_1mp = -np.logaddexp(0, -l64), -np.logaddexp(0, l64)  # log sigmoid
by_hand = -np.sum(x64 * log_p + (1 - x64) * log_1mp, axis=(1, 2, 3))
print("library bce, first 3:", np.round(library[:3], 3))
print("by hand,     first 3:", np.round(by_hand[:3], 3))
print("largest difference over 100 images:", np.abs(library - by_hand).max())

binary = (x > 0.5).astype("float32")
bernoulli = tfd.Independent(tfd.Bernoulli(logits=logits), reinterpreted_batch_ndims=3)
tfp_nll = -bernoulli.log_prob(binary).numpy()
library_b = keras_gen.losses.reconstruction_terms(binary, logits, "bernoulli")["loss"]
print("binarized: largest |library - tfp NLL|:", np.abs(library_b - tfp_nll).max())

# %% [markdown]
# One caveat the notes skip: MNIST pixels are grey levels, not 0/1, and for
# x_i strictly between 0 and 1 the cross-entropy cannot reach 0. Its minimum, at
# p = x, is the binary entropy of each pixel summed over the image. That floor is
# part of every Bernoulli number on the cards:

# %%
x_all = x_test.astype("float64")
p = np.clip(x_all, 1e-12, 1 - 1e-12)
entropy = -np.sum(x_all * np.log(p) + (1 - x_all) * np.log(1 - p), axis=(1, 2, 3))
print(f"smallest possible bce on these test images: {entropy.mean():.2f} nats")
print("share of pixels strictly between 0 and 1:", np.mean((x_all > 0) & (x_all < 1)))

# %% [markdown]
# So `ae_mnist`'s bce of about 58 nats is only about 12 above the best any decoder
# could do on grey-level digits. (The continuous Bernoulli of tutorial 03 is a
# normalised density on [0, 1] for this reason.)
#
# Now the Gaussian case, with the linear autoencoder of section 4. keras_gen's
# Gaussian loss is sigma = 1 with the constant dropped: 0.5 ||x - mu||^2, i.e.
# d/2 times the per-pixel `mse`. Against TFP's `Normal` log-density for sigma = 1
# and sigma = 0.1:

# %%
mu = linear.decoder(linear.encoder(x)).numpy()
terms = keras_gen.losses.reconstruction_terms(x, mu, "gaussian")
loss, mse = np.asarray(terms["loss"]), np.asarray(terms["mse"])
d = 784
print("library loss / (d/2 * mse), first 3:", loss[:3] / (d / 2 * mse[:3]))
for sigma in (1.0, 0.1):
    normal = tfd.Independent(tfd.Normal(mu, sigma), reinterpreted_batch_ndims=3)
    nll = -normal.log_prob(x).numpy()
    formula = d * mse / (2 * sigma**2) + d * np.log(sigma * np.sqrt(2 * np.pi))
    gap = np.max(np.abs(nll / formula - 1))
    print(
        f"sigma {sigma}: tfp NLL {nll[0]:8.3f}, "
        f"d mse / (2 sigma^2) + const {formula[0]:8.3f}, largest relative gap {gap:.0e}"
    )

# %% [markdown]
# The notes write -log p(y | mu) "∝ (y - mu)^2 / 2". It is not proportional: it is
# *equal* to (y - mu)^2 / (2 sigma^2) plus a constant, log(sigma sqrt(2 pi)) per
# pixel. With sigma fixed neither the constant nor the scale 1/sigma^2 moves the
# minimum, so training on MSE is maximum likelihood under a fixed-variance Gaussian.
# They matter as soon as the loss is added to something else (a penalty in tutorial
# 02, the KL term of a VAE in tutorial 03) or sigma is learned: then 1/sigma^2 sets
# how much reconstruction weighs.
#
# ## What next
#
# - **02 · Denoising and contractive autoencoders**: make the code robust to
#   corrupted inputs and to small moves, and pretrain a classifier layer by layer.
# - **03 · Variational autoencoders with TensorFlow Probability**: put a prior on
#   the code, so that the whole 2-D plane decodes to digits.
# - **08 · Deep clustering and anomaly detection**: autoencoder codes and
#   reconstruction likelihoods put to work.
# - **09 · The pretrained zoo in five minutes**: every preset used above, and more.
