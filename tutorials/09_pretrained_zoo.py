# %% [markdown]
# # 09 · The pretrained zoo in five minutes
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/keras-gen/keras_gen/blob/main/tutorials/09_pretrained_zoo.ipynb)
#
# keras_gen ships trained MNIST models whose weights load offline in one line. This
# notebook lists them and reads their cards, loads one, samples, reconstructs and
# measures it against its card, then fine-tunes it on images of your own (a folder
# of PNG files and numpy arrays) and saves the result as a preset folder of its own.

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

import shutil
import tempfile
from pathlib import Path

import absl.logging
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from PIL import Image, ImageDraw

import keras_gen
from keras_gen import data, evaluation, presets, zoo

absl.logging.set_verbosity(absl.logging.ERROR)  # TFDS deprecation chatter
tf.get_logger().setLevel("ERROR")  # and tf.function retracing notes
keras.utils.set_random_seed(0)
print(keras_gen.data.prepare("mnist"))  # builds MNIST once; instant afterwards

# %% [markdown]
# ## 1 · What is in the zoo
#
# A *preset* is a registered model class with its constructor arguments and its
# training recipe, named `<architecture>_<dataset>`. `zoo.list_models()` lists them;
# `pretrained=True` keeps those whose weights ship in the package. Each of those has
# a folder with the weights, the config, a `metadata.json` and a model card; the
# card's test metrics are in the metadata too, so the list below prints a few of
# them next to each name. From a shell, `keras-gen list` prints the same list.

# %%
shipped = zoo.list_models(pretrained=True)
for name in shipped:
    preset = zoo.get_preset(name)
    values = zoo.read_metadata(name)["metrics"]["values"]
    headline = ", ".join(f"{k} {v:.4g}" for k, v in list(values.items())[:3])
    print(f"{name:22s} {preset.model_class.__name__:26s} {headline}")

print("\nregistered, no weights shipped:", ", ".join(zoo.list_models(pretrained=False)))

# %% [markdown]
# The presets without weights are recipes you can train (`keras-gen train NAME`);
# no run of theirs ships yet (for some, the README's *Benchmarks* section says which
# bar their runs missed).
#
# Every shipped preset has a card, `README.md` in its folder: what the network is,
# how its numbers were measured (the exact command), how it was trained and how long
# it took, and the sha256 of its weights. Here is the card of `ae_mnist`, a dense
# 784-512-256-32 autoencoder (the figure it links is the folder's `samples.png`;
# section 3 draws the same kind of picture).

# %%
name = "ae_mnist"
folder = zoo.preset_dir(name)
print(folder)
print((folder / "README.md").read_text())

# %% [markdown]
# ## 2 · Load in one line, verified by sha256
#
# `create_model(name, pretrained=True)` builds the model from the preset's
# `config.json` and loads `model.weights.h5`, after checking that the file's sha256
# is the one `metadata.json` records. Without `pretrained=True` you get the same
# architecture with fresh weights, ready to train.

# %%
model = zoo.create_model("ae_mnist", pretrained=True)

meta = zoo.read_metadata(name)
print(type(model).__name__, f"{presets.trainable_params(model):,} parameters")
print("recorded sha256:", meta["sha256"])
print("file's sha256:  ", presets.sha256(folder / presets.WEIGHTS_FILE))

# %% [markdown]
# The check is not decoration. Copy the folder, change one byte of the weights file,
# and loading refuses it before any model is returned (a `WeightsIntegrityError`,
# a `ValueError`). A preset folder can also be given by its path, as here: that is
# how you load your own runs (section 5).

# %%
tampered = Path(tempfile.mkdtemp()) / "ae_mnist_copy"
shutil.copytree(folder, tampered)
weights = tampered / presets.WEIGHTS_FILE
raw = bytearray(weights.read_bytes())
raw[len(raw) // 2] ^= 0xFF  # flip the bits of one byte in the middle
weights.write_bytes(bytes(raw))
try:
    zoo.create_model(str(tampered))
except presets.WeightsIntegrityError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# ## 3 · Sample and reconstruct
#
# The verbs are the same for every model that has them: `reconstruct(x)` for the
# autoencoders, `sample(n)` for anything that generates (`sample(n, labels=...)`
# for a conditional model). An autoencoder has no prior, so `ae_mnist.sample` decodes
# codes drawn from a Gaussian fitted to its training codes (the card says so): the
# samples are digit-like but blurrier than a GAN's. The GAN presets load and sample
# the same way; `cgan_mnist` is asked for the digits 0 to 9.

# %%
x_test, y_test = data.load_numpy("mnist", "test[:10]")  # uint8 [10, 28, 28, 1]
x_test = x_test.astype("float32") / 255.0

rows = {
    "MNIST test digits": x_test,
    "ae_mnist reconstructions": model.reconstruct(x_test),
    "ae_mnist samples": model.sample(10),
    "dcgan_mnist samples": zoo.create_model("dcgan_mnist", pretrained=True).sample(10),
    "cgan_mnist, labels 0-9": zoo.create_model("cgan_mnist", pretrained=True).sample(
        10, labels=np.arange(10)
    ),
}


def show_rows(rows, title=None):
    """One row of images per entry of `rows` ({label: images in [0, 1]})."""
    fig, axes = plt.subplots(len(rows), 1, figsize=(8, 1.0 * len(rows) + 0.3))
    for ax, (label, images) in zip(axes, rows.items(), strict=True):
        grid = keras_gen.plot.image_grid(np.asarray(images), ncols=len(images))
        ax.imshow(grid[..., 0], cmap="gray", vmin=0, vmax=1)
        ax.set_title(label, fontsize=9, loc="left")
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    plt.show()


show_rows(rows)

# %% [markdown]
# ## 4 · Measure it against its card
#
# `keras_gen.evaluation.evaluate(model, dataset)` runs the evaluators of the
# model's capabilities (an autoencoder's are its reconstruction terms: the
# Bernoulli NLL `bce` = `loss`, in nats per image, and the per-pixel `mse`). The card
# measured all 10,000 test images; so does full mode, and its numbers are the card's.
# Fast mode measures the first 2,000, so its numbers differ from the card's a little,
# by the sampling of the images only.

# %%
n_eval = 2000 if FAST else 10000
mnist_test = data.load("mnist", "test", 500, supervised=False, take=n_eval)
ours = evaluation.evaluate(model, mnist_test)
card = meta["metrics"]["values"]

print(
    f"{'metric':8s} {'here':>10s} {'card':>10s}   ({ours['examples']} vs 10000 images)"
)
for key in card:
    print(f"{key:8s} {ours[key]:10.4f} {card[key]:10.4f}")

# %% [markdown]
# `evaluate` takes the data you give it. To reproduce a card with the preset's own
# data options (a VAE's statically binarized test set, a classifier's labels, the
# Parzen sigma's validation split), `evaluation.evaluate_preset(name, limit=n)` is the
# function behind `keras-gen evaluate NAME`; for instance the classifier that the
# FID and Inception Score of the GAN cards are computed with:

# %%
print(evaluation.evaluate_preset("mnist_classifier", limit=n_eval))
print("card:", zoo.read_metadata("mnist_classifier")["metrics"]["values"])

# %% [markdown]
# ## 5 · Fine-tune on your own images
#
# Your images are a folder of PNG or JPEG files, one sub-folder per class if they
# have labels (README, *Your own images*). So that this notebook needs no download,
# it draws its own: filled circles, squares and triangles of random place, size and
# colour, 32 x 32 RGB, nothing like a digit, written with PIL into a temporary folder.

# %%
SHAPES = ("circle", "square", "triangle")


def draw_shape(kind, rng, size=32):
    """An RGB PIL image of one filled shape of random place, size and colour."""
    image = Image.new("RGB", (size, size), "black")
    pen = ImageDraw.Draw(image)
    r = rng.uniform(0.2, 0.4) * size
    cx, cy = rng.uniform(r + 1, size - r - 1, 2)
    colour = tuple(int(c) for c in rng.integers(100, 256, 3))
    if kind == "circle":
        pen.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
    elif kind == "square":
        pen.rectangle([cx - r, cy - r, cx + r, cy + r], fill=colour)
    else:
        turn = rng.uniform(0, 2 * np.pi) + np.arange(3) * 2 * np.pi / 3
        corners = np.stack([cx + r * np.cos(turn), cy + r * np.sin(turn)], 1)
        pen.polygon([tuple(c) for c in corners], fill=colour)
    return image


rng = np.random.default_rng(0)
per_class = 100 if FAST else 1000
images_dir = Path(tempfile.mkdtemp()) / "shapes"
for kind in SHAPES:
    (images_dir / kind).mkdir(parents=True)
    for i in range(per_class):
        draw_shape(kind, rng).save(images_dir / kind / f"{i:04d}.png")

print(data.info(images_dir))

# %% [markdown]
# `data.load` reads the folder like any dataset. The pretrained network takes
# 28 x 28 grey images, so the loader resizes (`image_size`) and converts
# (`channels=1`) on the way; it scales the pixels to [0, 1] as for MNIST. The class
# folders give labels, which an autoencoder does not need (`supervised=False`).
#
# Images that are already in memory go through `data.from_arrays` with the same
# options. Here that is a held-out set: 60 fresh shapes drawn straight into a numpy
# array, never written to disk, to measure the model on images it did not train on.

# %%
train = data.load(
    images_dir, "train", 32, image_size=(28, 28), channels=1, supervised=False
)
x_new = np.stack([np.asarray(draw_shape(SHAPES[i % 3], rng)) for i in range(60)])
held_out = data.from_arrays(
    x_new,
    batch_size=60,
    image_size=(28, 28),
    channels=1,
    supervised=False,
    shuffle=False,
)
x_held = next(iter(held_out)).numpy()
print("numpy array:", x_new.shape, x_new.dtype, "-> batches:", x_held.shape)
print("a training batch:", next(iter(train)).shape)

# %% [markdown]
# Before fine-tuning, the MNIST autoencoder turns every shape into a blotch with
# digit strokes in it: its 32-D code only knows digits. We keep its reconstructions
# and its numbers on the held-out shapes to compare with afterwards.

# %%
before = model.reconstruct(x_held[:10]).numpy()
held_before = evaluation.evaluate(model, held_out)
print({k: round(v, 4) for k, v in held_before.items()})

# %% [markdown]
# Fine-tuning is `compile` and `fit` on the loaded model: every weight starts from
# the pretrained values (`steps_per_execution` runs several steps per call into
# TensorFlow, which is faster for small batches). Then `fit_code_distribution`
# refits the Gaussian that `sample` draws codes from, to the codes of the new images.

# %%
epochs = 8 if FAST else 40
model.compile(keras.optimizers.Adam(1e-3), steps_per_execution=10)
history = model.fit(train, epochs=epochs, verbose=0)
model.fit_code_distribution(train)

held_after = evaluation.evaluate(model, held_out)
mnist_after = evaluation.evaluate(model, mnist_test)
print(f"{len(history.epoch)} epochs on {3 * per_class} shapes")
print(f"{'':22s} {'bce':>9s} {'mse':>8s}")
for label, values in [
    ("held-out shapes before", held_before),
    ("held-out shapes after", held_after),
    ("MNIST test before", ours),
    ("MNIST test after", mnist_after),
]:
    print(f"{label:22s} {values['bce']:9.2f} {values['mse']:8.4f}")

# %% [markdown]
# On the held-out shapes both numbers fall: the model now reconstructs shapes it
# never saw. The price shows in the last two lines: the same weights now reconstruct
# MNIST digits worse than the pretrained ones did (the network forgets what it is
# not trained on). Keep the original preset for digits; the fine-tuned model is a
# new one. (The `bce` of these grey shapes cannot reach 0: for a target pixel strictly
# between 0 and 1 the Bernoulli NLL is at least that pixel's entropy.)
#
# The picture: held-out shapes, the pretrained model's reconstructions, the
# fine-tuned model's, and samples of the fine-tuned model. The samples are rough
# blobs with the shapes' grey levels: a Gaussian over the codes is a crude sampler,
# as it was for the digits in section 3; a VAE or a GAN trained on the folder
# (`keras-gen train vae --dataset FOLDER`) is the tool for new images.

# %%
show_rows(
    {
        "held-out shapes (never trained on)": x_held[:10],
        "pretrained ae_mnist": before,
        f"fine-tuned, {len(history.epoch)} epochs": model.reconstruct(x_held[:10]),
        "fine-tuned samples": model.sample(10),
    }
)

# %% [markdown]
# ## 6 · Save and reload
#
# `save_to_preset(path, metadata)` writes the same three files a zoo preset has
# (`config.json`, `model.weights.h5` with the model's variables only, no optimizer
# state, and `metadata.json` with the weights' sha256 and whatever you add), and
# `create_model(path)` loads it back, verified. The reloaded model reconstructs
# exactly as the one in memory.

# %%
mine = Path(tempfile.mkdtemp()) / "ae_shapes"
saved = model.save_to_preset(
    mine, {"dataset": "shapes (this notebook)", "fine_tuned_from": "ae_mnist"}
)
print(sorted(p.name for p in mine.iterdir()), saved["sha256"][:16], "...")

reloaded = zoo.create_model(str(mine))
difference = np.abs(reloaded.reconstruct(x_held) - model.reconstruct(x_held)).max()
print(type(reloaded).__name__, "max difference of reconstructions:", float(difference))

# %% [markdown]
# From a shell the folder works like a preset name: `keras-gen sample DIR -n 64 --out
# samples.png` draws from it. To train a model for a folder of images from scratch,
# with a card, TensorBoard logs and held-out metrics, use `keras-gen train ARCH
# --dataset FOLDER` (README, *Your own images*).

# %% [markdown]
# ## What next
#
# - **10 · Scaling out**: the same training on several devices and workers, mixed
#   precision, and resuming a killed run.
# - **01 · Autoencoders and manifold learning**: what `ae_mnist` and `ae2d_mnist`
#   learn, and their link to PCA.
# - **03 · Variational autoencoders with TensorFlow Probability**: what the
#   `vae_mnist` and `cvae_mnist` presets compute, term by term.
# - **04 · Adversarial autoencoders**: `aae_mnist` and `aae_gaussian_mnist`.
# - **06 · DCGAN and the improved techniques**: the GAN presets sampled above.
# - **08 · Deep clustering and anomaly detection with autoencoders**: `dcn_mnist`,
#   and the reconstruction error of `ae_mnist` as an anomaly score.
