"""The semi-supervised AAE's options: noise on the discriminators' inputs, and
reconstruction and regularization phases on the unlabelled examples only."""

import warnings

import keras
import numpy as np
import pytest

from keras_gen import SemiSupervisedAAE
from keras_gen.models.networks import code_discriminator

SMALL = dict(hidden_units=(16,), discriminator_units=(8,), seed=0)


def _model(**options):
    keras.utils.set_random_seed(0)
    model = SemiSupervisedAAE(
        input_shape=(6, 6, 1), num_classes=3, latent_dim=2, **SMALL, **options
    )
    model.compile(
        **{name: keras.optimizers.Adam(1e-2) for name in model.optimizer_names}
    )
    return model


def _batch(labelled_pixels):
    """12 unlabelled images (the same in every call) and 6 labelled ones."""
    rng = np.random.default_rng(0)
    unlabelled = rng.uniform(0, 1, (12, 6, 6, 1))
    labelled = np.full((6, 6, 6, 1), labelled_pixels)
    x = np.concatenate([unlabelled, labelled]).astype("float32")
    y = np.array([-1] * 12 + [0, 1, 2] * 2)
    return x, y


def _after_one_step(labelled_pixels, **options):
    model = _model(**options)
    x, y = _batch(labelled_pixels)
    model.fit(x, y, batch_size=18, epochs=1, verbose=0, shuffle=False)
    return model


@pytest.mark.parametrize("unlabelled_phases", [True, False])
def test_labelled_examples_reach_the_decoder_only_without_unlabelled_phases(
    unlabelled_phases,
):
    # The decoder is updated by the reconstruction phase alone, the
    # y-discriminator by its regularization phase: with `unlabelled_phases` the
    # labelled images cannot change either.
    a = _after_one_step(0.1, unlabelled_phases=unlabelled_phases)
    b = _after_one_step(0.9, unlabelled_phases=unlabelled_phases)
    for network in ("decoder", "y_discriminator", "z_discriminator"):
        same = all(
            np.array_equal(u, v)
            for u, v in zip(
                getattr(a, network).get_weights(),
                getattr(b, network).get_weights(),
                strict=True,
            )
        )
        assert same == unlabelled_phases, network
    # The supervised phase sees the labelled images in both cases.
    assert not np.array_equal(a.encoder.get_weights()[0], b.encoder.get_weights()[0])


def test_unlabelled_phases_metrics_average_over_the_unlabelled_examples():
    x, y = _batch(0.5)
    model = _model(unlabelled_phases=True)
    # The step's reconstruction phase sees the weights as they are before it.
    terms = model.compute_losses(x)
    unlabelled = float(np.mean(terms["reconstruction"][:12]))
    everyone = float(np.mean(terms["reconstruction"]))
    history = model.fit(x, y, batch_size=18, epochs=1, verbose=0, shuffle=False)
    logged = history.history["reconstruction"][0]
    assert logged == pytest.approx(unlabelled, rel=1e-4)
    assert abs(logged - everyone) > 1e-3


def test_a_batch_of_labelled_examples_only_leaves_the_unsupervised_networks_alone():
    model = _model(unlabelled_phases=True)
    before = model.decoder.get_weights()
    x, y = _batch(0.5)
    model.fit(x[12:], y[12:], batch_size=6, epochs=1, verbose=0)
    for u, v in zip(before, model.decoder.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)


def test_discriminator_noise_is_a_training_only_gaussian_noise_layer():
    net = code_discriminator(4, (8,), input_noise=0.5, name="d")
    assert any(isinstance(layer, keras.layers.GaussianNoise) for layer in net.layers)
    z = np.zeros((256, 4), "float32")
    np.testing.assert_array_equal(net(z, training=False), net(z, training=False))
    assert not np.allclose(net(z, training=True), net(z, training=True))
    model = _model(discriminator_noise=0.3)
    assert model.get_config()["discriminator_noise"] == 0.3
    restored = SemiSupervisedAAE.from_config(model.get_config())
    assert restored.discriminator_noise == 0.3


def test_negative_discriminator_noise_is_refused():
    with pytest.raises(ValueError, match="input_noise must be a finite number >= 0"):
        code_discriminator(4, (8,), input_noise=-0.1)
    with pytest.raises(ValueError, match="discriminator_noise must be a finite"):
        _model(discriminator_noise=-0.1)


def test_discriminator_noise_reaches_a_label_aware_discriminator_too():
    net = code_discriminator(4, (8,), num_classes=3, input_noise=0.5, name="d")
    z, labels = np.zeros((256, 4), "float32"), np.zeros((256, 1), "int32")
    np.testing.assert_array_equal(
        net([z, labels], training=False), net([z, labels], training=False)
    )
    assert not np.allclose(net([z, labels], training=True), net([z, labels]))


def test_encoder_noise_perturbs_the_training_input_only():
    model = _model(encoder_noise=0.3)
    assert any(
        isinstance(layer, keras.layers.GaussianNoise) for layer in model.encoder.layers
    )
    x, _ = _batch(0.5)
    logits, z = model.encoder(x, training=False)
    again, _ = model.encoder(x, training=False)
    np.testing.assert_array_equal(logits, again)
    noisy, _ = model.encoder(x, training=True)
    assert not np.allclose(noisy, logits)
    restored = SemiSupervisedAAE.from_config(model.get_config())
    assert restored.encoder_noise == 0.3
    assert any(
        isinstance(layer, keras.layers.GaussianNoise)
        for layer in restored.encoder.layers
    )


def test_without_encoder_noise_the_encoder_has_no_noise_layer():
    model = _model()
    assert model.get_config()["encoder_noise"] == 0.0
    assert not any(
        isinstance(layer, keras.layers.GaussianNoise) for layer in model.encoder.layers
    )


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf")])
def test_encoder_noise_must_be_finite_and_non_negative(bad):
    with pytest.raises(ValueError, match="encoder_noise must be a finite number >= 0"):
        _model(encoder_noise=bad)


def _own_encoder():
    from keras_gen.models.ssaae import two_head_encoder

    return two_head_encoder((6, 6, 1), 3, 2, (16,), "relu")


@pytest.mark.parametrize(
    "bad, error", [("0.3", TypeError), (True, TypeError), (-1.0, ValueError)]
)
def test_encoder_noise_is_checked_with_your_own_encoder_too(bad, error):
    with pytest.raises(error, match="encoder_noise must be a"):
        _model(encoder=_own_encoder(), encoder_noise=bad)


def test_encoder_noise_with_your_own_encoder_warns_that_it_is_ignored():
    with pytest.warns(UserWarning, match=r"encoder_noise=0\.3 shapes only the encoder"):
        model = _model(encoder=_own_encoder(), encoder_noise=0.3)
    assert not any(
        isinstance(layer, keras.layers.GaussianNoise) for layer in model.encoder.layers
    )
    # Nothing to warn of at the default, nor when the saved config is reloaded.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _model(encoder=_own_encoder())
        SemiSupervisedAAE.from_config(model.get_config())


def test_an_argument_shaping_a_network_the_model_still_builds_does_not_warn():
    # hidden_units shapes the decoder too, which the model builds.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _model(encoder=_own_encoder(), discriminator_noise=0.2)
