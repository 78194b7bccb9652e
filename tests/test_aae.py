"""Adversarial autoencoders: the three phases, priors, label-aware regularization,
the supervised, semi-supervised and clustering variants, and their bad inputs."""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from keras_gen import (
    AAE,
    ClusteringAAE,
    SemiSupervisedAAE,
    SupervisedAAE,
    cards,
    evaluation,
    metrics,
    priors,
)

tfd = tfp.distributions
SMALL = dict(hidden_units=(16,), discriminator_units=(8,), seed=0)


def _images(n=64, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, 28, 28, 1)).astype("float32")


def _compile(model, rates=None):
    rates = rates or {}
    model.compile(
        **{
            name: keras.optimizers.Adam(rates.get(name, 1e-3))
            for name in model.optimizer_names
        }
    )
    return model


class _Snapshots(keras.callbacks.Callback):
    """The model's weights after every training batch."""

    def __init__(self, model):
        super().__init__()
        self.after = [model.get_weights()]

    def on_train_batch_end(self, batch, logs=None):
        self.after.append(self.model.get_weights())


def _refused_without_update(model, data, match):
    """`fit` on `data` raises a ValueError matching `match`, and the weights are
    those after the last good batch (the bad batch updated nothing)."""
    snapshots = _Snapshots(model)
    with pytest.raises(ValueError, match=match):
        model.fit(*data, verbose=0, callbacks=[snapshots])
    for u, v in zip(snapshots.after[-1], model.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)


def _weights(network):
    return [w.copy() for w in network.get_weights()]


def _changed(before, network):
    return any(
        not np.array_equal(b, w)
        for b, w in zip(before, network.get_weights(), strict=True)
    )


def test_each_phase_updates_only_its_networks():
    # With the reconstruction and generator rates at 0 only the discriminator moves.
    model = _compile(
        AAE(latent_dim=3, **SMALL), {"ae_optimizer": 0.0, "g_optimizer": 0.0}
    )
    enc, dec, disc = (
        _weights(n) for n in (model.encoder, model.decoder, model.discriminator)
    )
    model.fit(_images(), batch_size=16, epochs=1, verbose=0)
    assert _changed(disc, model.discriminator)
    assert not _changed(enc, model.encoder)
    assert not _changed(dec, model.decoder)
    # One update per phase and minibatch, in each optimizer.
    for name in model.optimizer_names:
        assert int(getattr(model, name).iterations) == 4


def test_generator_phase_moves_the_encoder_not_the_decoder():
    model = _compile(
        AAE(latent_dim=3, **SMALL), {"ae_optimizer": 0.0, "d_optimizer": 0.0}
    )
    enc, dec = _weights(model.encoder), _weights(model.decoder)
    history = model.fit(_images(), batch_size=16, epochs=1, verbose=0)
    assert _changed(enc, model.encoder) and not _changed(dec, model.decoder)
    assert set(history.history) >= {
        "reconstruction",
        "mse",
        "d_loss",
        "g_loss",
        "d_real",
        "d_fake",
    }


def test_training_matches_the_codes_to_the_prior(mnist_test_arrays):
    # Layer initializers draw from Keras' global stream: `trained` fixes it, so
    # that the result does not depend on which tests ran before in this worker.
    x = mnist_test_arrays[0][:2000]

    def trained(regularize):
        keras.utils.set_random_seed(0)  # both start from the same weights
        rate = 1e-3 if regularize else 0.0
        model = AAE(latent_dim=2, hidden_units=(64,), discriminator_units=(32,), seed=0)
        model.compile(
            ae_optimizer=keras.optimizers.Adam(1e-3),
            d_optimizer=keras.optimizers.Adam(rate, beta_1=0.5),
            g_optimizer=keras.optimizers.Adam(rate, beta_1=0.5),
        )
        history = model.fit(x, batch_size=100, epochs=20, verbose=0)
        codes = np.asarray(model.encode(x))
        prior = np.asarray(model.prior_samples(2000, seed=0))
        return metrics.mmd_squared(codes, prior, 1.0), history.history

    matched, history = trained(True)
    free, _ = trained(False)  # the same autoencoder without the adversarial phases
    assert matched < free / 3, (matched, free)
    assert history["reconstruction"][-1] < history["reconstruction"][0]


@pytest.mark.parametrize("posterior", ["deterministic", "gaussian", "universal"])
def test_each_posterior_trains_saves_and_loads(posterior, tmp_path):
    model = _compile(AAE(latent_dim=3, posterior=posterior, **SMALL))
    model.fit(_images(32), batch_size=16, epochs=1, verbose=0)
    model.save(tmp_path / "aae.keras")
    loaded = keras.saving.load_model(tmp_path / "aae.keras")
    x = _images(4, seed=1)
    # The posterior mean (deterministic, gaussian) is reproducible; the universal
    # encoder draws its noise, so compare decoding instead.
    z = np.asarray(model.prior_samples(4, seed=3))
    np.testing.assert_allclose(loaded.decode(z), model.decode(z), rtol=1e-6)
    if posterior != "universal":
        np.testing.assert_allclose(loaded.encode(x), model.encode(x), rtol=1e-6)
    assert loaded.posterior == posterior


def test_gaussian_posterior_samples_around_its_mean():
    model = AAE(latent_dim=3, posterior="gaussian", **SMALL)
    x = _images(4)
    mean = np.asarray(model.encode(x))
    draws = np.stack([np.asarray(model.encode(x, sample=True)) for _ in range(200)])
    assert not np.allclose(draws[0], draws[1])
    np.testing.assert_allclose(draws.mean(0), mean, atol=0.3)


@pytest.mark.parametrize("name", priors.NAMES)
def test_named_priors_sample_the_code_shape(name):
    d = 2 if name in priors.TWO_DIMENSIONAL else 5
    prior = priors.Prior(name, d)
    z = prior.sample(500, tf.constant([1, 2]))
    assert tuple(z.shape) == (500, d) and z.dtype == tf.float32
    if name == "categorical":
        np.testing.assert_array_equal(np.sum(z, -1), 1.0)
    if name == "uniform":
        assert np.all(np.abs(z) <= 1)


def test_mixture_prior_draws_each_labels_component():
    prior = priors.Prior("mixture", 2)
    locs = prior.distribution.components_distribution.mean().numpy()
    for k in (0, 3, 7):
        z = prior.sample(2000, tf.constant([0, k]), components=tf.fill([2000], k))
        np.testing.assert_allclose(np.mean(z, 0), locs[k], atol=0.05)
    spiral = priors.Prior("swiss_roll", 2)
    inner = spiral.sample(500, tf.constant([0, 1]), tf.zeros([500], "int32"))
    outer = spiral.sample(500, tf.constant([0, 1]), tf.fill([500], 9))
    assert np.linalg.norm(inner, axis=1).max() < np.linalg.norm(outer, axis=1).min()


def test_any_tfp_distribution_or_sampler_is_a_prior():
    dist = tfd.Independent(tfd.Laplace(tf.zeros(3), tf.ones(3)), 1)
    model = _compile(AAE(latent_dim=3, prior=dist, **SMALL))
    model.fit(_images(32), batch_size=16, epochs=1, verbose=0)

    def ring(n, seed):
        angle = tf.random.stateless_uniform([n], seed, 0, 2 * np.pi)
        return tf.stack([tf.cos(angle), tf.sin(angle)], -1)

    model = _compile(AAE(latent_dim=2, prior=ring, **SMALL))
    model.fit(_images(32), batch_size=16, epochs=1, verbose=0)
    np.testing.assert_allclose(np.linalg.norm(model.prior_samples(10), axis=1), 1, 1e-5)
    with pytest.raises(TypeError, match="only named priors"):
        model.get_config()


def test_priors_of_the_wrong_shape_are_refused():
    with pytest.raises(
        ValueError, match=r"shape \(n, 3\); for n=4 it gave shape \(4, 2\)"
    ):
        AAE(latent_dim=3, prior=lambda n: tf.zeros((n, 2)), **SMALL)
    with pytest.raises(ValueError, match=r"event shape \(3,\).*got event shape \(2,\)"):
        AAE(latent_dim=3, prior=tfd.MultivariateNormalDiag(tf.zeros(2)), **SMALL)
    with pytest.raises(ValueError, match="needs latent_dim=2, got latent_dim=8"):
        AAE(latent_dim=8, prior="mixture", **SMALL)
    with pytest.raises(ValueError, match="prior must be one of"):
        AAE(latent_dim=2, prior="gamma", **SMALL)
    with pytest.raises(TypeError, match="got int"):
        AAE(latent_dim=2, prior=3, **SMALL)
    with pytest.raises(
        ValueError, match="label_prior=True needs a prior with components"
    ):
        AAE(latent_dim=2, prior="normal", label_prior=True, **SMALL)


def test_discriminator_must_give_one_logit_and_take_codes():
    z = keras.Input((3,))
    two = keras.Model(z, keras.layers.Dense(2)(z))
    with pytest.raises(ValueError, match=r"one logit per example.*\(batch, \(2,\)\)"):
        AAE(latent_dim=3, discriminator=two, **SMALL)
    wide = keras.Input((4,))
    with pytest.raises(ValueError, match=r"codes of shape \(batch, 3\)"):
        AAE(
            latent_dim=3,
            discriminator=keras.Model(wide, keras.layers.Dense(1)(wide)),
            **SMALL,
        )


def test_compile_needs_all_three_optimizers():
    model = AAE(latent_dim=3, **SMALL)
    with pytest.raises(
        ValueError,
        match="needs ae_optimizer, d_optimizer, g_optimizer, got no g_optimizer",
    ):
        model.compile(
            ae_optimizer=keras.optimizers.Adam(), d_optimizer=keras.optimizers.Adam()
        )
    with pytest.raises(ValueError, match="before fit"):
        model.fit(_images(16), verbose=0)


def test_label_aware_prior_takes_unlabelled_examples_and_refuses_bad_labels():
    model = _compile(AAE(latent_dim=2, prior="mixture", label_prior=True, **SMALL))
    assert model.takes_labels and model.num_classes == 10
    x, y = _images(32), np.arange(32) % 10
    y[::3] = -1
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    bad = np.arange(32) % 10
    bad[20] = 10  # in the second batch
    _refused_without_update(
        model,
        (tf.data.Dataset.from_tensor_slices((x, bad)).batch(16),),
        r"labels in \[0, 10\) or -1",
    )
    sevens = np.asarray(model.prior_samples(500, labels=7, seed=0))
    locs = model.prior.distribution.components_distribution.mean().numpy()
    np.testing.assert_allclose(sevens.mean(0), locs[7], atol=0.1)
    # The labels pick components; every verb that passes them on to the decoder
    # (fixed-noise samples, grids, interpolation) works: the decoder ignores them.
    from keras_gen.plot import verbs

    z = model.prior_samples(6, labels=3, seed=1)
    np.testing.assert_array_equal(model.generate(z, np.full(6, 3)), model.generate(z))
    assert verbs.draw_samples(model, 6, seed=0).shape == (6, 28, 28, 1)
    assert model.sample(6, labels=3).shape == (6, 28, 28, 1)
    plain = _compile(AAE(latent_dim=2, **SMALL))
    with pytest.raises(ValueError, match="AAE.decode is unconditional"):
        plain.generate(z, np.full(6, 3))


def test_supervised_aae_decodes_one_style_across_classes():
    model = _compile(SupervisedAAE(latent_dim=3, **SMALL))
    model.fit(_images(32), np.arange(32) % 10, batch_size=16, verbose=0)
    grid = model.style_grid(styles=3)
    assert grid.shape == (3, 10, 28, 28, 1)
    assert not np.allclose(grid[0, 0], grid[0, 1])  # the label changes the image
    with pytest.raises(ValueError, match="needs class labels"):
        model.fit(_images(16), verbose=0)


def _semi_supervised_data(labelled_in_second=True):
    x = _images(32)
    y = np.full(32, -1)
    y[:4] = np.arange(4)
    if labelled_in_second:
        y[16:20] = np.arange(4)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(16)


def test_semi_supervised_aae_learns_labels_and_refuses_unlabelled_data():
    model = _compile(SemiSupervisedAAE(latent_dim=3, **SMALL))
    history = model.fit(_semi_supervised_data(), epochs=2, verbose=0)
    assert "classification" in history.history
    assert int(model.ss_optimizer.iterations) == 4
    assert model.predict_classes(_images(8)).shape == (8,)
    for data in (
        (_images(16), np.full(16, -1)),
        (_semi_supervised_data(labelled_in_second=False),),  # the second batch
    ):
        _refused_without_update(model, data, "expected labelled examples")


def test_semi_supervised_classification_phase_fits_the_labelled_examples():
    keras.utils.set_random_seed(0)  # the initializers' stream (see above)
    x = _images(40, seed=2)
    y = np.arange(40) % 4
    labels = y.copy()
    labels[20:] = -1
    model = _compile(SemiSupervisedAAE(num_classes=4, latent_dim=2, **SMALL))
    model.fit(x, labels, batch_size=40, epochs=150, verbose=0)
    # Chance is 0.25; 20 of 20 in one run, 19 of 20 in another (thread order).
    assert np.mean(model.predict_classes(x[:20]) == y[:20]) >= 0.9


def test_clustering_names_each_cluster_after_its_most_probable_example():
    model = _compile(ClusteringAAE(num_classes=5, latent_dim=3, **SMALL))
    model.fit(_images(32), batch_size=16, verbose=0)
    x, y = _images(50, seed=4), np.arange(50) % 10
    with pytest.raises(ValueError, match="name_clusters"):
        model.predict_classes(x)
    names = model.name_clusters(x, y)
    probs = np.asarray(model.classify(x))
    np.testing.assert_array_equal(names, y[np.argmax(probs, 0)])
    np.testing.assert_array_equal(model.predict_classes(x), names[np.argmax(probs, 1)])
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(25)
    out = evaluation.evaluate(model, ds)
    assert set(out) >= {"accuracy", "nmi", "ari", "paper_rule_error"}
    assert out["paper_rule_error"] == pytest.approx(
        np.mean(model.predict_classes(x) != y)
    )


def test_prior_fit_is_near_its_floor_for_codes_drawn_from_the_prior():
    class PriorCodes(AAE):
        def encode(self, x, sample=False):
            return self.prior_samples(len(x))

    model = PriorCodes(latent_dim=2, prior="mixture", **SMALL)
    ds = tf.data.Dataset.from_tensor_slices(_images(400)).batch(100)
    out = evaluation.prior_fit(model, ds)
    assert abs(out["prior_mmd2"]) < 0.02 and out["prior_ks_max"] < 0.15
    untrained = evaluation.prior_fit(AAE(latent_dim=2, prior="mixture", **SMALL), ds)
    assert untrained["prior_mmd2"] > 5 * abs(out["prior_mmd2"])


def test_cards_show_the_codes_over_the_prior_and_the_style_grid(tmp_path):
    x, y = _images(40), np.arange(40) % 10
    aae = AAE(latent_dim=2, prior="mixture", **SMALL)
    cards.write_figures(aae, tmp_path / "aae", x[:8], y[:8], lambda: (x, y))
    assert (tmp_path / "aae" / "prior.png").is_file()
    assert (tmp_path / "aae" / "latent.png").is_file()
    supervised = SupervisedAAE(latent_dim=3, **SMALL)
    cards.write_figures(supervised, tmp_path / "s", x[:8], y[:8], lambda: (x, y))
    assert (tmp_path / "s" / "styles.png").is_file()
    assert not (tmp_path / "s" / "prior.png").exists()  # a 3-D code is not drawn
