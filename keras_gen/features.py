"""Sample quality on a domain classifier: FID, Inception Score, class fractions.

The statistics themselves are in `keras_gen.metrics` (on arrays of features or
probabilities); this module computes those arrays with a classifier, by default the
pretrained `mnist_classifier` preset, loaded once per process, and keeps the
reference statistics of the MNIST test images that ship beside its weights.
"""

from pathlib import Path

import numpy as np

from . import data, presets, zoo
from .metrics import (
    class_fractions_from_probs,
    feature_statistics,
    frechet_distance_from_statistics,
    inception_score_from_probs,
)

CLASSIFIER_PRESET = "mnist_classifier"
REFERENCE_STATS_FILE = "reference_stats.npz"
_CACHE = {}


def load_classifier():
    """The pretrained `mnist_classifier` preset, loaded once per process."""
    if "classifier" not in _CACHE:
        _CACHE["classifier"] = zoo.create_model(CLASSIFIER_PRESET, pretrained=True)
    return _CACHE["classifier"]


def _default(classifier):
    return load_classifier() if classifier is None else classifier


def _weights_sha256():
    return zoo.read_metadata(CLASSIFIER_PRESET).get("sha256")


def write_reference_statistics(classifier, path, images=None, data_dir=None):
    """Writes the feature mean and covariance of reference images to an .npz file.

    The shipped `zoo/mnist_classifier/reference_stats.npz` holds the statistics of
    the pretrained classifier's features over the 10,000 MNIST test images; it must
    be rewritten whenever the weights change (`frechet_distance` checks the
    weights' sha256 recorded in it).

    Args:
        classifier: A `keras_gen.Classifier`.
        path: The `.npz` file, or a preset folder (then `reference_stats.npz` in
            it, recording the sha256 of the folder's `model.weights.h5`).
        images: Reference images in [0, 1]; default the MNIST test split.
        data_dir: TFDS data dir of the prepared MNIST.

    Returns:
        The path written.
    """
    path = Path(path)
    folder = path if path.suffix != ".npz" else None
    if folder is not None:
        path = folder / REFERENCE_STATS_FILE
    if images is None:
        images, _ = data.load_numpy("mnist", "test", data_dir=data_dir)
        images = images.astype("float32") / 255.0
        source = "mnist test"
    else:
        source = "images"
    mu, sigma = feature_statistics(classifier.features(images))
    sha = ""
    if folder is not None and (folder / presets.WEIGHTS_FILE).is_file():
        sha = presets.sha256(folder / presets.WEIGHTS_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        mu=mu,
        sigma=sigma,
        examples=len(images),
        source=source,
        weights_sha256=sha,
    )
    return path


def reference_statistics(name="mnist_test"):
    """`(mu, sigma)` shipped with the pretrained classifier for `name`.

    Raises:
        ValueError: Unknown name, or statistics written for other weights.
        FileNotFoundError: The preset has no statistics file.
    """
    if name != "mnist_test":
        raise ValueError(
            f"reference must be 'mnist_test', images or (mu, sigma), got {name!r}."
        )
    folder = zoo.preset_dir(CLASSIFIER_PRESET)
    path = None if folder is None else folder / REFERENCE_STATS_FILE
    if path is None or not path.is_file():
        raise FileNotFoundError(
            f"No reference statistics for {CLASSIFIER_PRESET} ({path}); write them "
            "with keras_gen.features.write_reference_statistics(classifier, folder)."
        )
    key = ("stats", str(path))
    if key not in _CACHE:
        with np.load(path) as stats:
            recorded = str(stats["weights_sha256"])
            if recorded and recorded != _weights_sha256():
                raise ValueError(
                    f"{path} was computed with weights of sha256 {recorded}, but "
                    f"the preset's weights have sha256 {_weights_sha256()}; "
                    "rewrite it with write_reference_statistics."
                )
            _CACHE[key] = (stats["mu"].copy(), stats["sigma"].copy())
    return _CACHE[key]


def frechet_distance(images, reference="mnist_test", classifier=None):
    """FID-style Frechet distance of images in a domain classifier's feature space.

    Features are the classifier's penultimate activations (the pretrained
    `mnist_classifier` by default), so values are comparable only between runs
    with the same classifier and the same number of images (10,000 customary).

    Args:
        images: Images `[n, 28, 28, 1]` in [0, 1] (e.g. generator samples).
        reference: `"mnist_test"` (shipped statistics of the 10,000 test images,
            default classifier only), reference images, or a `(mu, sigma)` pair.
        classifier: A `keras_gen.Classifier`; default the pretrained preset.

    Returns:
        The squared Frechet distance (float).

    Example:
        >>> keras_gen.features.frechet_distance(gan.sample(10000).numpy())

    Reference:
        Heusel et al., "GANs trained by a two time-scale update rule converge to a
        local Nash equilibrium", NeurIPS 2017.
    """
    if isinstance(reference, str):
        if classifier is not None and classifier is not _CACHE.get("classifier"):
            raise ValueError(
                f"reference={reference!r} holds statistics of the pretrained "
                f"{CLASSIFIER_PRESET}; with another classifier pass reference "
                "images or (mu, sigma) of its own features."
            )
        mu2, sigma2 = reference_statistics(reference)
    classifier = _default(classifier)
    if isinstance(reference, tuple) and len(reference) == 2:
        mu2, sigma2 = reference
    elif not isinstance(reference, str):
        if np.ndim(reference) < 3:
            raise ValueError(
                "reference must be 'mnist_test', images [n, H, W, C] or (mu, sigma), "
                f"got {type(reference).__name__} of shape {np.shape(reference)}."
            )
        mu2, sigma2 = feature_statistics(classifier.features(reference))
    mu1, sigma1 = feature_statistics(classifier.features(images))
    return frechet_distance_from_statistics(mu1, sigma1, mu2, sigma2)


def inception_score(images, classifier=None, splits=10):
    """Inception Score of images under a domain classifier (default the pretrained
    `mnist_classifier`): `(mean, std)` over `splits`; see
    `keras_gen.metrics.inception_score_from_probs`. At most 10 on MNIST."""
    classifier = _default(classifier)
    return inception_score_from_probs(classifier.predict_proba(images), splits)


def class_fractions(images, classifier=None):
    """Fraction of images the classifier (default the pretrained `mnist_classifier`)
    assigns to each class, `[num_classes]`."""
    classifier = _default(classifier)
    return class_fractions_from_probs(classifier.predict_proba(images))
