"""Denoising, contractive and stochastic contractive autoencoders; linear AE = PCA;
anomaly thresholds."""

import keras
import numpy as np
import pytest
import scipy.linalg
import tensorflow as tf

from keras_gen import (
    Autoencoder,
    ContractiveAutoencoder,
    DenoisingAutoencoder,
    StochasticContractiveAutoencoder,
)
from keras_gen.models.regularized_ae import jacobian_sq_norm

SMALL = dict(hidden_units=(16,), latent_dim=4, seed=0)


def _rand(n=8, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, 28, 28, 1)).astype("float32")


def test_dae_trains_on_fresh_noise_and_evaluates_clean():
    model = DenoisingAutoencoder(corruption="masking", noise_level=0.5, **SMALL)
    x = _rand()
    a = model.compute_losses(x, training=True)["loss"]
    b = model.compute_losses(x, training=True)["loss"]
    assert a.shape == (8,)
    assert not np.allclose(a, b)  # a new corruption each step
    clean = Autoencoder(**SMALL)
    clean.set_weights(model.get_weights())
    np.testing.assert_allclose(
        model.compute_losses(x)["loss"], clean.compute_losses(x)["loss"], rtol=1e-6
    )


def test_dae_without_noise_equals_the_plain_loss_for_any_number_of_copies():
    x = _rand()
    model = DenoisingAutoencoder(
        corruption="gaussian", noise_level=0.0, num_corruptions=3, **SMALL
    )
    np.testing.assert_allclose(
        model.compute_losses(x, training=True)["loss"],
        model.compute_losses(x)["loss"],
        rtol=1e-5,
    )


def test_dae_more_copies_lower_the_variance_of_the_loss():
    x = _rand(4)
    one = DenoisingAutoencoder(corruption="salt_and_pepper", noise_level=0.5, **SMALL)
    many = DenoisingAutoencoder(
        corruption="salt_and_pepper", noise_level=0.5, num_corruptions=16, **SMALL
    )
    many.set_weights(one.get_weights())
    spread = [
        np.std([m.compute_losses(x, training=True)["loss"][0] for _ in range(20)])
        for m in (one, many)
    ]
    assert spread[1] < 0.5 * spread[0]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(corruption="foo"), "one of gaussian, masking, salt_and_pepper"),
        (
            dict(corruption="masking", noise_level=1.5),
            "noise_level: fraction must be in \\[0, 1\\] for masking noise, got 1.5",
        ),
        (dict(corruption="salt_and_pepper", noise_level=-0.1), "fraction must be in"),
        (dict(corruption="gaussian", noise_level=-1.0), "noise_level: sigma must be"),
        (dict(num_corruptions=0), "num_corruptions must be an integer >= 1"),
    ],
)
def test_dae_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DenoisingAutoencoder(**kwargs)


def test_closed_form_jacobian_matches_autodiff():
    model = ContractiveAutoencoder(
        hidden_units=(), latent_dim=12, code_activation="sigmoid", seed=0
    )
    x = _rand(5)
    closed = jacobian_sq_norm(model.encoder, x, "closed_form").numpy()
    exact = jacobian_sq_norm(model.encoder, x, "exact").numpy()
    np.testing.assert_allclose(closed, exact, rtol=1e-5)
    auto = model.compute_losses(x)["contraction"].numpy()
    np.testing.assert_allclose(auto, closed, rtol=1e-6)


def test_exact_jacobian_of_a_deep_encoder_matches_finite_differences():
    model = ContractiveAutoencoder(
        hidden_units=(8,), latent_dim=3, activation="tanh", seed=0, jacobian="exact"
    )
    x = _rand(1).astype(np.float64)
    eps = 1e-3
    flat = x.reshape(-1)
    jac = np.zeros((3, flat.size))
    for i in range(flat.size):
        up, down = flat.copy(), flat.copy()
        up[i] += eps
        down[i] -= eps
        h_up = model.encoder(up.reshape(x.shape).astype("float32")).numpy()[0]
        h_down = model.encoder(down.reshape(x.shape).astype("float32")).numpy()[0]
        jac[:, i] = (h_up - h_down) / (2 * eps)
    exact = float(jacobian_sq_norm(model.encoder, x.astype("float32"))[0])
    assert exact == pytest.approx(float((jac**2).sum()), rel=1e-2)


def test_contraction_penalty_lowers_the_jacobian_norm(mnist, mnist_test_arrays):
    from keras_gen import data

    ds = data.load("mnist", "train[:6000]", 100, data_dir=mnist, supervised=False)
    x = mnist_test_arrays[0][:500]
    norms = {}
    for lam in (0.0, 1000.0):
        model = ContractiveAutoencoder(
            hidden_units=(),
            latent_dim=64,
            code_activation="sigmoid",
            contraction=lam,
            seed=0,
        )
        model.compile(keras.optimizers.Adam(1e-3))
        model.fit(ds, epochs=4, verbose=0)
        norms[lam] = float(np.mean(jacobian_sq_norm(model.encoder, x)))
    # Measured here: 0.071 without the penalty, 0.032 with it.
    assert norms[1000.0] < 0.75 * norms[0.0], norms


def test_contractive_arguments_are_checked():
    with pytest.raises(ValueError, match="contraction must be >= 0"):
        ContractiveAutoencoder(contraction=-1)
    with pytest.raises(ValueError, match="jacobian must be"):
        ContractiveAutoencoder(jacobian="approx")
    with pytest.raises(ValueError, match="one sigmoid Dense"):
        jacobian_sq_norm(Autoencoder(**SMALL).encoder, _rand(1), "closed_form")
    with pytest.raises(ValueError, match="sigma must be > 0"):
        StochasticContractiveAutoencoder(sigma=0)
    with pytest.raises(ValueError, match="contraction must be >= 0"):
        StochasticContractiveAutoencoder(contraction=-0.5)


def test_stochastic_penalty_approaches_the_jacobian_norm_for_small_sigma():
    model = StochasticContractiveAutoencoder(
        hidden_units=(),
        latent_dim=10,
        code_activation="sigmoid",
        sigma=1e-3,
        num_samples=4000,
        seed=0,
    )
    x = _rand(2)
    estimate = model.stochastic_penalty(x).numpy()
    exact = jacobian_sq_norm(model.encoder, x).numpy()
    np.testing.assert_allclose(estimate, exact, rtol=0.08)


def test_linear_autoencoder_spans_the_pca_subspace(mnist):
    from keras_gen import data

    x, _ = data.load_numpy("mnist", "train[:20000]", data_dir=mnist)
    x = x.astype("float32") / 255.0
    k = 16
    model = Autoencoder(hidden_units=(), latent_dim=k, likelihood="gaussian", seed=0)
    model.compile(keras.optimizers.Adam(3e-3), steps_per_execution=50)
    ds = tf.data.Dataset.from_tensor_slices(x).shuffle(20000, seed=0).batch(256)
    model.fit(ds.cache(), epochs=25, verbose=0)
    flat = x.reshape(len(x), -1)
    _, _, vt = np.linalg.svd(flat - flat.mean(0), full_matrices=False)
    decoder_kernel = model.decoder.layers[1].kernel.numpy().T  # [784, k]
    angles = np.degrees(scipy.linalg.subspace_angles(decoder_kernel, vt[:k].T))
    assert angles.max() < 10.0, angles


def test_anomaly_threshold_flags_the_expected_fraction_and_survives_config():
    # Gaussian likelihood: an untrained decoder outputs about 0, so the score grows
    # with the pixel values and bright noise is far from the dim "normal" data.
    model = Autoencoder(likelihood="gaussian", **SMALL)
    normal = _rand(400) * 0.1
    threshold = model.fit_threshold(normal, quantile=0.9)
    assert np.mean(model.is_anomaly(normal)) == pytest.approx(0.1, abs=0.01)
    assert model.is_anomaly(_rand(50)).all()
    clone = Autoencoder.from_config(model.get_config())
    assert clone.anomaly_threshold == threshold
    with pytest.raises(ValueError, match="fit_threshold"):
        Autoencoder(**SMALL).is_anomaly(normal)
    with pytest.raises(ValueError, match="quantile must be in"):
        model.fit_threshold(normal, quantile=1.5)
