"""What the categorical code y of a semi-supervised (or clustering) adversarial
autoencoder does, snapshot by snapshot, on validation images (train[50000:55000]).

For each snapshot of a run folder (`aae_epoch_budget.py train`), on the validation
images:

- `error`: argmax q(y|x) against the labels (semi-supervised models only);
- `max_prob`: the mean of max_k q(y=k|x); `saturated`: the share of images with
  max_k q(y=k|x) > 0.999 (a saturated softmax passes almost no gradient on to its
  logits);
- `class_entropy`: the entropy (nats) of the share of images given each class
  (log K when the classes are used equally);
- `grad_y` and `grad_z`: the mean norm of the reconstruction loss' gradient with
  respect to the y logits and to z, per image: how much the unlabelled
  reconstruction can still move q(y|x), against the style code;
- `z_probe_error`: the test error of a linear probe (scikit-learn's logistic
  regression) that reads the digit from the style code z, fitted on the first half
  of the validation images and scored on the second: low when z carries the class,
  which the Gaussian prior on z is meant to keep out of it.

    python benchmarks/ssaae_diagnose.py outputs/pilotA --out outputs/pilotA.diag.json
"""

import argparse
import json
from pathlib import Path

import numpy as np
import tensorflow as tf
from keras import ops
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from keras_gen import evaluation, losses, presets, zoo
from keras_gen.models import ClusteringAAE

try:
    from aae_epoch_budget import SCORED, snapshot_epochs, snapshot_path
except ImportError:  # imported as benchmarks.ssaae_diagnose
    from .aae_epoch_budget import SCORED, snapshot_epochs, snapshot_path


def diagnose(model, x, labels=None):
    """The module docstring's statistics of one model on arrays `x`, `labels`."""
    logits, z = model._heads(tf.constant(x))
    probs = ops.convert_to_numpy(ops.softmax(logits))
    predicted = probs.argmax(-1)
    shares = np.bincount(predicted, minlength=model.num_classes) / len(x)
    nonzero = shares[shares > 0]
    row = {
        "max_prob": float(probs.max(-1).mean()),
        "saturated": float((probs.max(-1) > 0.999).mean()),
        "class_entropy": float(-(nonzero * np.log(nonzero)).sum()),
    }
    if labels is not None and not isinstance(model, ClusteringAAE):
        row["error"] = float((predicted != labels).mean())
    with tf.GradientTape() as tape:
        tape.watch(logits)
        tape.watch(z)
        params = model._decode_params(ops.softmax(logits), z)
        total = ops.sum(
            losses.reconstruction_terms(x, params, model.likelihood)["loss"]
        )
    grad_y, grad_z = tape.gradient(total, [logits, z])
    row["grad_y"] = float(tf.reduce_mean(tf.norm(grad_y, axis=-1)))
    row["grad_z"] = float(tf.reduce_mean(tf.norm(grad_z, axis=-1)))
    return row


def z_probe_error(model, batches):
    """`z_probe_error` of the module docstring."""
    codes, labels = [], []
    for x, y in batches:
        codes.append(ops.convert_to_numpy(model._heads(x)[1]))
        labels.append(y.numpy())
    z, labels = np.concatenate(codes), np.concatenate(labels)
    half = len(z) // 2
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    probe.fit(z[:half], labels[:half])
    return float(1.0 - probe.score(z[half:], labels[half:]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    model = presets.load_preset_folder(args.folder)
    preset = zoo.get_preset(presets.read_metadata_file(args.folder)["preset"])
    batches = evaluation.preset_dataset(
        preset, SCORED, 1000, shuffle=False, supervised=True
    ).take(max(1, args.examples // 1000))
    rows = []
    for epoch in snapshot_epochs(args.folder):
        model.load_weights(snapshot_path(args.folder, epoch))
        parts = [diagnose(model, x, y.numpy()) for x, y in batches]
        row = {"epochs": epoch} | {
            k: float(np.mean([p[k] for p in parts])) for k in parts[0]
        }
        if not isinstance(model, ClusteringAAE):
            row["z_probe_error"] = z_probe_error(model, batches)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")
    return rows


if __name__ == "__main__":
    main()
