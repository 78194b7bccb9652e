"""Evaluators by capability, chosen by what a model declares, and the metric docs."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import (
    GAN,
    VAE,
    Autoencoder,
    Classifier,
    DeepClustering,
    SemiSupervisedVAE,
    evaluation,
    features,
    zoo,
)


def _images(n=12, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (n, 28, 28, 1)).astype("float32")


def _labelled(n=12, batch=5):
    x, y = _images(n), np.arange(n) % 10
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)


def _classifier():
    return Classifier(filters=(4,), dense_units=8, seed=0)


def test_every_registered_class_declares_known_capabilities():
    for name in zoo.list_models():
        preset = zoo.get_preset(name)
        kinds = evaluation.capabilities(preset.model_class, preset.recipe)
        assert kinds and set(kinds) <= set(evaluation.EVALUATORS), name


@pytest.mark.parametrize("name", zoo.list_models(pretrained=True))
def test_every_metric_on_a_shipped_card_has_a_description(name):
    preset = zoo.get_preset(name)
    docs = evaluation.metric_docs(preset.model_class, preset.recipe)
    values = zoo.read_metadata(name)["metrics"]["values"]
    assert set(values) <= set(docs), set(values) - set(docs)


def test_metric_docs_take_a_familys_own_terms_over_its_capabilitys():
    docs = evaluation.metric_docs(DeepClustering)
    assert docs["loss"].startswith("reconstruction NLL + clustering_weight")
    assert docs["accuracy"].startswith("clustering accuracy")
    assert "cluster" in docs and "bce" in docs
    assert evaluation.metric_docs(Autoencoder)["loss"].startswith(
        "reconstruction negative log-likelihood"
    )


def test_loss_terms_average_per_example_terms_with_labels():
    model = _classifier()
    x, y = _images(), np.arange(12) % 10
    result = evaluation.evaluate(model, _labelled())
    terms = model.compute_losses(x, y)
    assert list(result) == ["loss", "accuracy", "examples"]
    assert result["examples"] == 12
    assert result["loss"] == pytest.approx(float(np.mean(terms["loss"])), rel=1e-5)
    assert result["accuracy"] == pytest.approx(float(np.mean(terms["accuracy"])))


def test_a_model_that_takes_labels_refuses_unlabelled_batches():
    ds = tf.data.Dataset.from_tensor_slices(_images()).batch(4)
    with pytest.raises(ValueError, match=r"expected \(x, y\) batches"):
        evaluation.evaluate(_classifier(), ds)


def test_reconstruction_of_an_autoencoder_ignores_labels():
    model = Autoencoder(hidden_units=(16,), latent_dim=4, seed=0)
    with_labels = evaluation.evaluate(model, _labelled())
    without = evaluation.evaluate(model, _labelled().map(lambda x, y: x))
    assert with_labels == pytest.approx(without)
    terms = model.compute_losses(_images())
    assert with_labels["bce"] == pytest.approx(float(np.mean(terms["bce"])), 1e-5)


def test_deprecated_evaluate_metrics_of_an_autoencoder_still_answers():
    model = DeepClustering(hidden_units=(16,), latent_dim=3, num_clusters=3, seed=0)
    with pytest.warns(DeprecationWarning, match="keras_gen.evaluation.evaluate"):
        old = model.evaluate_metrics(_labelled())
    assert old == evaluation.evaluate(model, _labelled())
    assert {"accuracy", "nmi", "ari", "cluster", "bce", "examples"} <= set(old)


def test_clusters_need_labels_to_score_against():
    model = DeepClustering(hidden_units=(16,), latent_dim=3, num_clusters=3, seed=0)
    scores = evaluation.clusters(model, _labelled())
    assert set(scores) == {"accuracy", "nmi", "ari"}
    # The best one-to-one naming of the clusters, by trying every naming (an
    # independent check of the Hungarian matching the evaluation uses).
    x = np.concatenate([b[0].numpy() for b in _labelled()])
    y = np.concatenate([b[1].numpy() for b in _labelled()])
    found = np.asarray(model.predict_clusters(x))
    best = max(
        np.mean(np.asarray(names)[found] == y)
        for names in itertools.permutations(range(10), 3)
    )
    assert scores["accuracy"] == pytest.approx(best)
    assert evaluation.clusters(model, _labelled().map(lambda x, y: x)) == {}


def test_classes_score_predict_classes():
    model = SemiSupervisedVAE(
        hidden_units=(8,), classifier_units=(8,), latent_dim=2, seed=0
    )
    result = evaluation.evaluate(model, _labelled())
    predicted = model.predict_classes(_images())
    expected = float(np.mean(predicted == np.arange(12) % 10))
    assert result == pytest.approx(
        {"accuracy": expected, "error": 1 - expected, "examples": 12}
    )


def test_likelihood_reports_the_elbo_terms_and_the_nll():
    keras.utils.set_random_seed(0)
    model = VAE(hidden_units=(8,), latent_dim=2, seed=0)
    ds = tf.data.Dataset.from_tensor_slices(np.round(_images(8))).batch(4)
    result = evaluation.likelihood(model, ds, num_samples=20, batch_size=3)
    assert list(result) == ["nll", "reconstruction", "kl", "elbo", "examples"]
    assert result["elbo"] == pytest.approx(-(result["reconstruction"] + result["kl"]))
    assert result["examples"] == 8 and np.isfinite(result["nll"])


def _small_gan():
    return GAN(
        latent_dim=4,
        generator_units=(8,),
        discriminator_units=(8,),
        maxout_pieces=2,
        seed=0,
    )


def test_sample_quality_picks_parzen_sigma_on_validation_and_repeats():
    gan = _small_gan()
    test = tf.data.Dataset.from_tensor_slices(_images(40, seed=1)).batch(20)
    val = tf.data.Dataset.from_tensor_slices(_images(30, seed=2)).batch(10)
    first = evaluation.sample_quality(gan, test, validation=val, n=200)
    again = evaluation.sample_quality(gan, test, validation=val, n=200)
    assert first == again  # fixed noise: the same samples every time
    assert first["examples"] == 40
    assert first["parzen_sigma"] in np.logspace(-1, 0, 10).astype(float)
    with pytest.raises(ValueError, match="needs a validation split"):
        evaluation.sample_quality(gan, test, n=200)
    with pytest.raises(
        ValueError, match="label_accuracy needs a model that samples given classes"
    ):
        evaluation.sample_quality(gan, test, metrics=("label_accuracy",), n=10)


def test_fid_compares_with_the_images_it_is_given():
    # A validation split's FID is against the validation images, not the test
    # statistics the cards use (which it silently was until 2026-12-03).
    gan = _small_gan()
    noisy = _images(300, seed=1)
    dark = 0.2 * _images(300, seed=2)
    samples = evaluation.evaluation_samples(gan, 300)[0]

    def fid(images, **options):
        ds = tf.data.Dataset.from_tensor_slices(images).batch(100)
        return evaluation.sample_quality(gan, ds, metrics=("fid",), n=300, **options)[
            "fid"
        ]

    assert fid(noisy) == pytest.approx(
        features.frechet_distance(samples, reference=noisy), rel=1e-6
    )
    assert abs(fid(noisy) - fid(dark)) > 1.0
    shipped = features.frechet_distance(samples)
    assert fid(dark, fid_reference="mnist_test") == pytest.approx(shipped, rel=1e-6)
    assert abs(shipped - fid(dark)) > 1.0


def test_unknown_capability_is_refused():
    with pytest.raises(ValueError, match="Unknown evaluation 'beauty'"):
        evaluation.evaluate(_classifier(), _labelled(), ["beauty"])


def test_repeated_evaluations_trace_the_loss_step_once():
    # Evaluating in a loop (a notebook, a sweep) must not retrace a new function
    # each time, nor keep a dropped model alive.
    import gc
    import weakref

    import keras_gen

    model = keras_gen.Autoencoder(
        input_shape=(4, 4, 1), latent_dim=2, hidden_units=(4,)
    )
    x = np.random.default_rng(0).uniform(0, 1, (16, 4, 4, 1)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices(x).batch(8)
    first = evaluation.loss_terms(model, ds)
    for _ in range(5):
        assert evaluation.loss_terms(model, ds) == first
    assert evaluation._loss_step(model).experimental_get_tracing_count() == 1
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


def test_evaluate_preset_skip_measures_disjoint_subsets(mnist):
    # ae_mnist's terms are per-image means: the halves average to the whole.
    first = evaluation.evaluate_preset("ae_mnist", limit=200, data_dir=mnist)
    second = evaluation.evaluate_preset(
        "ae_mnist", limit=200, skip=200, data_dir=mnist, batch_size=100
    )
    both = evaluation.evaluate_preset("ae_mnist", limit=400, data_dir=mnist)
    assert second["examples"] == 200
    assert first["bce"] != pytest.approx(second["bce"], rel=1e-6)
    assert both["bce"] == pytest.approx((first["bce"] + second["bce"]) / 2, rel=1e-5)
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises((ValueError, TypeError), match="skip must be a positive"):
            evaluation.evaluate_preset("ae_mnist", limit=10, skip=bad, data_dir=mnist)
