"""The domain classifier: losses, label validation, verbs, and the shipped preset."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import Classifier, evaluation, features, zoo
from keras_gen.evaluation import evaluate_preset


def _small(**kwargs):
    return Classifier(filters=(4,), dense_units=8, seed=0, **kwargs)


def _rand(n=8, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, 28, 28, 1)).astype("float32")


def test_call_gives_logits_and_verbs_agree_with_them():
    model = _small()
    x = _rand(7)
    logits = model(x).numpy()
    assert logits.shape == (7, 10)
    proba = model.predict_proba(x)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(proba, tf.nn.softmax(logits).numpy(), atol=1e-6)
    np.testing.assert_array_equal(model.predict_classes(x), logits.argmax(1))
    features = model.features(x)
    assert features.shape == (7, model.feature_dim) == (7, 8)
    assert features.min() >= 0  # after the ReLU
    # Batching does not change the result.
    np.testing.assert_allclose(model.features(x, batch_size=3), features, atol=1e-6)


def test_losses_are_per_example_cross_entropy_and_hits():
    model = _small()
    x, y = _rand(6), np.array([0, 1, 2, 3, 4, 5])
    terms = model.compute_losses(x, y)
    log_p = tf.nn.log_softmax(model(x)).numpy()
    np.testing.assert_allclose(terms["loss"], -log_p[np.arange(6), y], rtol=1e-5)
    np.testing.assert_array_equal(terms["accuracy"], (log_p.argmax(1) == y) * 1.0)


@pytest.mark.parametrize(
    "labels, message",
    [
        (None, r"needs class labels: integers in \[0, 10\).*got none"),
        (np.full(8, 10), r"\[0, 10\), got labels in \[10, 10\]"),
        (np.full(8, -1), r"\[0, 10\), got labels in \[-1, -1\]"),
        (np.full(8, 1.5), "expected integer class labels, got dtype float64"),
        (np.zeros((8, 1), "int64"), r"shape \(batch,\).*got shape \([48], 1\)"),
        (np.zeros(5, "int64"), r"one label per example \(8\), got 5"),
    ],
)
def test_bad_labels_are_refused_before_any_weight_changes(labels, message):
    model = _small()
    model.compile(keras.optimizers.Adam(1e-3))
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=message):
        model.fit(_rand(), labels, epochs=1, verbose=0)
    if labels is not None and len(labels) == 8:
        ds = tf.data.Dataset.from_tensor_slices((_rand(), labels)).batch(4)
        with pytest.raises(ValueError, match=message):
            model.fit(ds, epochs=1, verbose=0)
    for u, v in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)


def test_dataset_without_labels_is_refused():
    model = _small()
    model.compile(keras.optimizers.Adam(1e-3))
    ds = tf.data.Dataset.from_tensor_slices(_rand()).batch(4)
    with pytest.raises(ValueError, match=r"\(fit on \(x, y\) batches\), got none"):
        model.fit(ds, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="needs class labels"):
        model.compute_losses(_rand(), None)
    with pytest.raises(ValueError, match=r"expected \(x, y\) batches"):
        evaluation.evaluate(model, ds)


def test_images_outside_unit_range_are_refused():
    with pytest.raises(ValueError, match=r"values in \[0.0, 1.0\]"):
        _small().features(_rand() * 2 - 1)


def test_evaluation_averages_per_example_terms():
    model = _small()
    x, y = _rand(10), np.arange(10) % 10
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    result = evaluation.evaluate(model, ds)
    terms = model.compute_losses(x, y)
    assert result["examples"] == 10
    assert result["loss"] == pytest.approx(float(np.mean(terms["loss"])), rel=1e-5)
    assert result["accuracy"] == pytest.approx(float(np.mean(terms["accuracy"])))


def test_training_with_augmentation_fits_a_small_labelled_set():
    model = Classifier(
        filters=(4,), dense_units=16, dropout=0.0, max_shift=1, max_rotation=5.0
    )
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    # Two classes that differ in overall brightness survive shifts and rotations.
    y = np.arange(128) % 2
    x = rng.uniform(0, 0.3, (128, 28, 28, 1)) + 0.6 * y[:, None, None, None]
    model.compile(keras.optimizers.Adam(1e-2))
    history = model.fit(x.astype("float32"), y, batch_size=16, epochs=6, verbose=0)
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]
    assert np.mean(model.predict_classes(x.astype("float32")) == y) == 1.0


def test_bad_constructor_arguments_are_refused():
    with pytest.raises(ValueError, match=r"max_rotation must be in \[0, 180\]"):
        Classifier(max_rotation=200.0)
    with pytest.raises(ValueError, match="num_classes must be an integer >= 2"):
        Classifier(num_classes=1)


# -- the shipped preset --------------------------------------------------------


def test_shipped_classifier_reproduces_its_card_accuracy(mnist):
    meta = zoo.read_metadata("mnist_classifier")
    card = meta["metrics"]["values"]
    assert meta["metrics"]["split"] == "test (10000 images)"
    assert card["accuracy"] >= 0.993
    measured = evaluate_preset("mnist_classifier", limit=2000, data_dir=mnist)
    assert measured["examples"] == 2000
    # The first 2,000 test digits are a little easier than the whole split.
    assert measured["accuracy"] == pytest.approx(card["accuracy"], abs=0.006)


def test_shipped_reference_statistics_match_the_test_images(mnist_test_arrays):
    x, y = mnist_test_arrays
    mu, sigma = features.reference_statistics("mnist_test")
    clf = features.load_classifier()
    assert mu.shape == (clf.feature_dim,)
    assert sigma.shape == (clf.feature_dim, clf.feature_dim)
    # The shipped statistics are those of these weights on all 10,000 test images.
    feats = np.asarray(clf.features(x), np.float64)
    np.testing.assert_allclose(feats.mean(0), mu, atol=1e-4)
    np.testing.assert_allclose(np.cov(feats, rowvar=False), sigma, atol=1e-4)
    real = features.frechet_distance(x[:2000])
    noise = features.frechet_distance(_rand(2000))
    assert real < 0.05 * noise
    score, _ = features.inception_score(x[:2000])
    assert 9.0 < score <= 10.0
    fractions = features.class_fractions(x[:2000])
    np.testing.assert_allclose(fractions, np.bincount(y[:2000]) / 2000, atol=0.005)


def test_preset_code_builds_the_shipped_network():
    # The shipped weights (and the FID features) belong to what the code builds.
    shipped = zoo.create_model("mnist_classifier", pretrained=True)
    built = zoo.create_model("mnist_classifier")

    def layers(model):
        # Layer names are unique per process (input_layer_3): compare the rest.
        return [
            (type(layer).__name__, layer.get_config() | {"name": None})
            for layer in model.network.layers
        ]

    def top(model):
        return model.get_config() | {"name": None, "network": None}

    assert top(built) == top(shipped)
    assert layers(built) == layers(shipped)
