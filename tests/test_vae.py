"""VAE and CVAE: TFP distributions, the ELBO, the importance-sampled likelihood."""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from keras_gen import CVAE, VAE, SemiSupervisedVAE, distribute

tfd = tfp.distributions


def _images(n=32, seed=0, binary=True):
    x = np.random.default_rng(seed).uniform(0, 1, (n, 28, 28, 1))
    return (x > 0.5 if binary else x).astype("float32")


def _small(**kw):
    return VAE(**({"latent_dim": 4, "hidden_units": (32,), "seed": 1} | kw))


def _trained(epochs=3, **kw):
    model = _small(**kw)
    model.compile(keras.optimizers.Adam(1e-3))
    model.fit(_images(64), epochs=epochs, batch_size=16, verbose=0)
    return model


def test_posterior_and_likelihood_are_tfp_distributions():
    model = _small()
    q = model.encode(_images(5))
    assert isinstance(q, tfd.MultivariateNormalDiag)
    assert q.batch_shape == [5] and q.event_shape == [4]
    p = model.decode(q.sample(seed=[1, 2]))
    assert isinstance(p, tfd.Independent)
    assert p.event_shape == [28, 28, 1]
    assert isinstance(p.distribution, tfd.Bernoulli)
    assert np.all((p.mean().numpy() >= 0) & (p.mean().numpy() <= 1))


def test_gradient_flows_through_the_posterior_sample():
    model = _small()
    x = _images(8)
    with tf.GradientTape() as tape:
        z = model.posterior(x).sample(seed=[3, 4])
        target = tf.reduce_sum(z**2)
    grads = tape.gradient(target, model.encoder.trainable_variables)
    assert all(g is not None for g in grads)
    # The scale half of the encoder's head moves z too (reparameterization).
    head_kernel = grads[-2].numpy()
    assert np.abs(head_kernel[:, :4]).max() > 0  # means
    assert np.abs(head_kernel[:, 4:]).max() > 0  # scales


def test_kl_matches_the_closed_form_for_a_diagonal_gaussian():
    model = _small()
    q = model.encode(_images(6))
    mu, sigma = q.mean().numpy(), q.stddev().numpy()
    expected = 0.5 * np.sum(mu**2 + sigma**2 - 1.0 - np.log(sigma**2), axis=-1)
    z = q.sample(seed=[5, 6])
    assert model.analytic_kl
    np.testing.assert_allclose(model.kl_divergence(q, z), expected, rtol=1e-5)


def test_loss_is_reconstruction_plus_beta_kl():
    model = _small(beta=2.5)
    terms = model.compute_losses(_images(8))
    np.testing.assert_allclose(
        terms["loss"], terms["reconstruction"] + 2.5 * terms["kl"], rtol=1e-6
    )
    # Each term checked on its own: the KL by its closed form from q's parameters.
    q = model.encode(_images(8))
    mu, sigma = q.mean().numpy(), q.stddev().numpy()
    expected = 0.5 * np.sum(mu**2 + sigma**2 - 1.0 - np.log(sigma**2), axis=-1)
    np.testing.assert_allclose(terms["kl"], expected, rtol=1e-5)
    assert np.all(terms["kl"].numpy() > 0)


def test_log_likelihood_with_one_sample_is_the_elbo_in_expectation():
    model = _trained()
    x = _images(4, seed=7)
    draws = 400
    tiled = np.repeat(x, draws, axis=0)
    ll = model.log_likelihood(tiled, num_samples=1).reshape(4, draws)
    terms = model.compute_losses(tiled)
    elbo = -(terms["reconstruction"] + terms["kl"]).numpy().reshape(4, draws)
    # Both are unbiased estimates of the ELBO of each image.
    err = np.sqrt(ll.var(1) / draws + elbo.var(1) / draws)
    assert np.all(np.abs(ll.mean(1) - elbo.mean(1)) < 4 * err + 1e-3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_log_likelihood_increases_with_the_number_of_samples(seed):
    model = _trained(seed=seed)
    x = _images(16, seed=10 + seed)
    # The bound rises with k in expectation; one draw of it is noisy (about 0.2
    # nats at k = 10 on these 16 images, against gaps of 0.1-1 nats), so each k
    # is averaged over repeated draws (standard errors below 0.05 nats).
    repeats = {1: 100, 20: 40, 1000: 4}
    bounds = [
        np.mean([model.log_likelihood(x, num_samples=k).mean() for _ in range(r)])
        for k, r in repeats.items()
    ]
    assert bounds[0] < bounds[1] < bounds[2]
    assert np.all(np.isfinite(bounds))


def test_log_likelihood_chunks_add_up_to_the_exact_value():
    # q(z|x) = p(z) and a decoder blind to z: every importance weight is p(x), so
    # the estimate is exact for any k, and any chunking must give it.
    model = _small()
    head = model.encoder.layers[-1]
    head.kernel.assign(np.zeros(head.kernel.shape, "float32"))
    softplus_inverse_of_one = np.log(np.e - 1.0)
    head.bias.assign(np.r_[np.zeros(4), np.full(4, softplus_inverse_of_one)])
    first = model.decoder.layers[1]
    first.kernel.assign(np.zeros(first.kernel.shape, "float32"))
    x = _images(10, seed=3)
    exact = model.decode(np.zeros((10, 4))).log_prob(x).numpy()
    for max_rows in (64, 25_000):
        estimate = model.log_likelihood(x, num_samples=2000, max_rows=max_rows)
        np.testing.assert_allclose(estimate, exact, atol=0.01)


def test_mixture_prior_uses_monte_carlo_kl_and_trains():
    model = _small(prior="mixture", prior_components=3)
    assert not model.analytic_kl
    assert isinstance(model.prior, tfd.MixtureSameFamily)
    means = model.prior_means.numpy().copy()
    model.compile(keras.optimizers.Adam(1e-2))
    history = model.fit(_images(64), epochs=2, batch_size=16, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert not np.allclose(model.prior_means.numpy(), means)  # the prior is learned
    q = model.encode(_images(4))
    z = q.sample(seed=[1, 1])

    # log q(z|x) - log p(z) by numpy from the parameters: a diagonal Gaussian and a
    # mixture of diagonal Gaussians with softmax weights.
    def log_normal(z, mu, sigma):
        return np.sum(
            -0.5 * ((z - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi),
            axis=-1,
        )

    z_np = z.numpy().astype("float64")
    log_q = log_normal(z_np, q.mean().numpy(), q.stddev().numpy())
    scales = np.log1p(np.exp(model.prior_raw_scales.numpy())) + 1e-4
    logits = model.prior_logits.numpy().astype("float64")
    log_w = logits - np.log(np.sum(np.exp(logits)))
    per_component = np.stack(
        [
            log_normal(z_np, m, s)
            for m, s in zip(model.prior_means.numpy(), scales, strict=True)
        ],
        1,
    )
    log_p = np.log(np.sum(np.exp(per_component + log_w), 1))
    # float32 log densities of size ~10: absolute 1e-4 (a KL near 0 cancels).
    np.testing.assert_allclose(
        model.kl_divergence(q, z), log_q - log_p, rtol=1e-4, atol=1e-4
    )
    assert model.sample(3).shape == (3, 28, 28, 1)
    clone = VAE.from_config(model.get_config())
    assert clone.prior_means.shape == (3, 4)


def test_any_tfp_prior_can_be_given():
    prior = tfd.MultivariateNormalDiag(tf.ones(4), 2 * tf.ones(4))
    model = _small(prior=prior)
    q = model.encode(_images(3))
    np.testing.assert_allclose(
        model.kl_divergence(q, None), tfd.kl_divergence(q, prior), rtol=1e-6
    )
    with pytest.raises(TypeError, match="cannot be serialized"):
        model.get_config()
    with pytest.raises(ValueError, match=r"event shape \(4,\)"):
        _small(prior=tfd.MultivariateNormalDiag(tf.zeros(3)))


@pytest.mark.parametrize(
    "likelihood, kind",
    [("gaussian", tfd.Normal), ("continuous_bernoulli", tfd.ContinuousBernoulli)],
)
def test_other_likelihoods_train(likelihood, kind):
    model = _small(likelihood=likelihood)
    assert isinstance(model.decode(np.zeros((2, 4))).distribution, kind)
    model.compile(keras.optimizers.Adam(1e-3))
    x = _images(32, binary=False)
    history = model.fit(x, epochs=2, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_gaussian_scale_is_learned_or_fixed():
    learned = _small(likelihood="gaussian")
    assert "log_scale" in [w.name for w in learned.trainable_weights]
    fixed = _small(likelihood="gaussian", gaussian_scale=0.1)
    np.testing.assert_allclose(fixed.decode(np.zeros((1, 4))).stddev(), 0.1)
    # Unbounded data is fine for a Gaussian likelihood.
    fixed.encode(np.full((1, 28, 28, 1), 3.0, "float32"))


def test_kl_warmup_rises_linearly_to_beta():
    model = _small(beta=1.0, kl_warmup_epochs=4)
    assert float(model.kl_weight) == 0.0
    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(float(model.kl_weight))

    model.compile(keras.optimizers.Adam(1e-3))
    model.fit(_images(32), epochs=6, batch_size=16, verbose=0, callbacks=[Record()])
    np.testing.assert_allclose(seen, [0.0, 0.25, 0.5, 0.75, 1.0, 1.0])


def test_verbs_shapes_and_interpolation_endpoints():
    model = _trained()
    x = _images(3)
    assert model.reconstruct(x).shape == x.shape
    assert model.sample(5).shape == (5, 28, 28, 1)
    path = model.interpolate(x[0], x[1], steps=7)
    assert path.shape == (7, 28, 28, 1)
    ends = model.decode(model.encode(x[:2]).mean()).mean()
    np.testing.assert_allclose(path[0], ends[0], atol=1e-5)
    np.testing.assert_allclose(path[-1], ends[1], atol=1e-5)
    assert model.interpolate(x[:2], x[1:], steps=4).shape == (2, 4, 28, 28, 1)


def test_two_replicas_average_over_the_global_batch(two_replicas, monkeypatch):
    x = _images(96)

    def train(strategy, weights):
        with strategy.scope():
            model = _small()
            model.set_weights(weights)
            model.compile(keras.optimizers.SGD(0.01))
        model.fit(tf.data.Dataset.from_tensor_slices(x).batch(32), verbose=0)
        return model.get_weights()

    reference = _small()
    # A near-deterministic posterior (scale 1e-4): both runs see the same codes.
    head = reference.encoder.layers[-1].bias
    head.assign(np.r_[np.zeros(4), np.full(4, -30.0)].astype("float32"))
    start = reference.get_weights()
    single = train(tf.distribute.get_strategy(), start)
    mirrored = train(two_replicas, start)
    for s, m in zip(single, mirrored, strict=True):
        np.testing.assert_allclose(m, s, rtol=1e-3, atol=1e-3 * np.abs(s).max())
    monkeypatch.setattr(distribute, "average_loss", tf.reduce_mean)
    wrong = train(two_replicas, start)
    moved = max(np.abs(s - w).max() for s, w in zip(single, start, strict=True))
    off = max(np.abs(s - m).max() for s, m in zip(single, wrong, strict=True))
    assert off > 0.3 * moved


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"latent_dim": 0}, "latent_dim must be at least 1, got 0"),
        ({"beta": -0.5}, "beta must be >= 0, got -0.5"),
        ({"likelihood": "poisson"}, "likelihood must be one of"),
        ({"kl_warmup_epochs": -1}, "kl_warmup_epochs must be a non-negative"),
        ({"prior": "laplace"}, "prior must be one of"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _small(**kwargs)


def test_bernoulli_rejects_images_outside_unit_range_before_any_update():
    model = _small()
    model.compile(keras.optimizers.Adam(1e-3))
    before = [w.copy() for w in model.get_weights()]
    bad = _images(8) * 255.0
    for call in (
        lambda: model.fit(bad, epochs=1, verbose=0),
        lambda: model.log_likelihood(bad, 10),
        lambda: model.encode(bad),
    ):
        with pytest.raises(ValueError, match=r"expected values in \[0.0, 1.0\]"):
            call()
    for u, v in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)


# -- CVAE -----------------------------------------------------------------------


def _cvae(**kw):
    return CVAE(**({"latent_dim": 3, "hidden_units": (32,), "seed": 2} | kw))


def test_cvae_trains_on_labels_and_samples_a_chosen_class():
    model = _cvae()
    model.compile(keras.optimizers.Adam(1e-3))
    x, y = _images(32), np.arange(32) % 10
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert model.sample(4, labels=7).shape == (4, 28, 28, 1)
    z = np.zeros((2, 3), "float32")
    # The decoder reads the label: two classes give two images from one code.
    assert not np.allclose(model.decode(z, 1).mean(), model.decode(z, 8).mean())
    assert model.class_grid(per_class=3).shape == (10, 3, 28, 28, 1)
    ll = model.log_likelihood(x[:4], num_samples=20, labels=y[:4])
    assert ll.shape == (4,) and np.all(np.isfinite(ll))


@pytest.mark.parametrize(
    "labels, message",
    [
        (None, "needs class labels"),
        (np.full(16, 10), r"expected labels in \[0, 10\), got labels in \[10, 10\]"),
        (np.full(16, -1), r"got labels in \[-1, -1\]"),
        (np.zeros(15, int), "one label per example"),
    ],
)
def test_cvae_rejects_missing_or_out_of_range_labels(labels, message):
    model = _cvae()
    model.compile(keras.optimizers.Adam(1e-3))
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=message):
        model.fit(_images(16), labels, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="needs class labels"):
        model.sample(3)
    with pytest.raises(ValueError, match=r"expected labels in \[0, 10\)"):
        model.sample(2, labels=[3, 12])
    for u, v in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)


# -- SemiSupervisedVAE (M2) -----------------------------------------------------


def _m2(**kw):
    return SemiSupervisedVAE(
        **(
            {
                "latent_dim": 3,
                "hidden_units": (16,),
                "classifier_units": (16,),
                "num_classes": 3,
                "alpha": 2.0,
                "seed": 4,
            }
            | kw
        )
    )


def test_m2_loss_combines_labelled_and_unlabelled_terms(monkeypatch):
    model = _m2()
    bound = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], "float32")
    monkeypatch.setattr(model, "_bound_per_class", lambda feats, training: bound)
    x = _images(3)
    y = np.array([2, -1, 0])
    terms = model.compute_losses(x, y)
    log_q = np.log(model.classify(x).numpy())
    q = np.exp(log_q)
    expected = [
        bound[0, 2] - 2.0 * log_q[0, 2],  # L(x, y) + alpha * (-log q(y|x))
        np.sum(q[1] * bound[1]) + np.sum(q[1] * log_q[1]),  # E_q[L] - H(q)
        bound[2, 0] - 2.0 * log_q[2, 0],
    ]
    np.testing.assert_allclose(terms["loss"], expected, rtol=1e-5)
    values, weights = terms["cross_entropy"]
    np.testing.assert_array_equal(weights, [1.0, 0.0, 1.0])
    np.testing.assert_allclose(values.numpy()[[0, 2]], -log_q[[0, 2], [2, 0]], 1e-5)


def test_m2_bound_is_the_cvae_elbo_plus_log_num_classes():
    model = _m2()
    x = _images(2)
    bound = model._bound_per_class(x, training=False).numpy()
    assert bound.shape == (2, 3)
    # With q(z|x,y) = N(mu, sigma): L >= KL + log K, and every entry is finite.
    assert np.all(np.isfinite(bound)) and np.all(bound > np.log(3))


def test_m2_trains_on_mixed_batches_and_rejects_bad_labels():
    model = _m2()
    model.compile(keras.optimizers.Adam(1e-3))
    x = _images(32)
    y = np.where(np.arange(32) % 4 == 0, np.arange(32) % 3, -1)
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert model.classify(x[:5]).shape == (5, 3)
    before = [w.copy() for w in model.get_weights()]
    for labels, message in [
        (None, "needs class labels"),
        (np.full(32, 3), r"expected labels in \[0, 3\) or -1 \(unlabelled\)"),
        (np.full(32, -2), r"got labels in \[-2, -2\]"),
    ]:
        with pytest.raises(ValueError, match=message):
            model.fit(x, labels, epochs=1, verbose=0)
    for u, v in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)


def test_m1_plus_m2_models_frozen_vae_codes(tmp_path):
    m1 = _small()
    m2 = _m2(m1=m1)
    assert m2.generative.data_shape == (4,)
    assert m2.generative.likelihood == "gaussian"
    m1_weights = [w.copy() for w in m1.get_weights()]
    m2.compile(keras.optimizers.Adam(1e-3))
    x, y = _images(32), np.where(np.arange(32) % 2, -1, np.arange(32) % 3)
    m2.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for u, v in zip(m1_weights, m1.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)
    assert m2.sample(4).shape == (4, 28, 28, 1)  # M1 decodes the generated codes
    assert m2.sample(2, labels=[0, 2]).shape == (2, 28, 28, 1)
    m2.save(tmp_path / "m2.keras")
    loaded = keras.saving.load_model(tmp_path / "m2.keras")
    np.testing.assert_allclose(loaded.classify(x), m2.classify(x), rtol=1e-5)
    with pytest.raises(TypeError, match="m1 must be a VAE"):
        _m2(m1=keras.Sequential())


def test_semi_supervised_batches_mix_a_fixed_labelled_subset(mnist):
    from keras_gen import data

    ds = data.load_semi_supervised(
        "mnist",
        "train[:2000]",
        50,
        labelled_per_class=2,
        labelled_batch_size=10,
        data_dir=mnist,
    )
    assert int(ds.cardinality()) == 2000 // 50
    seen = set()
    for x, y in ds.take(8):
        y = y.numpy()
        assert x.shape == (60, 28, 28, 1)
        assert np.all(y[:50] == -1)
        assert np.all(y[50:] >= 0)
        seen.update(map(bytes, x.numpy()[50:].reshape(10, -1)))
    # 8 batches of 10 labelled images cycle through the same 20.
    assert len(seen) == 20
