"""Feature matching (Salimans et al. 2016): the generator matches the mean of an
intermediate discriminator layer, for GAN and ConditionalGAN through `fit`."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import GAN, ConditionalGAN, losses


def _discriminator(labels=False):
    x = keras.Input((28, 28, 1))
    inputs, h = x, keras.layers.Flatten()(x)
    if labels:
        y = keras.Input((1,), dtype="int32")
        one_hot = keras.layers.CategoryEncoding(10, output_mode="one_hot")(y)
        inputs, h = [x, y], keras.layers.Concatenate()([h, one_hot])
    h = keras.layers.Dense(16, activation="relu", name="features")(h)
    return keras.Model(inputs, keras.layers.Dense(1, name="logit")(h))


def _gan(**kwargs):
    return GAN(
        latent_dim=4,
        generator_units=(16,),
        discriminator=_discriminator(),
        seed=0,
        **kwargs,
    )


def _images(n=64):
    return np.random.default_rng(0).uniform(0, 1, (n, 28, 28, 1)).astype("float32")


def test_loss_is_the_squared_distance_of_the_feature_means():
    real = np.array([[0.0, 2.0], [2.0, 2.0]], "float32")
    fake = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 3.0]], "float32")
    value = losses.feature_matching_loss(real, fake)
    # means (1, 2) and (1, 1): distance 1, one value per generated example.
    np.testing.assert_allclose(value, [1.0, 1.0, 1.0])


def test_generator_descends_feature_matching_against_a_frozen_discriminator():
    gan = _gan(feature_matching="features")
    gan.compile(
        d_optimizer=keras.optimizers.SGD(0.0),
        g_optimizer=keras.optimizers.Adam(1e-2),
    )
    history = gan.fit(_images(), batch_size=32, epochs=15, verbose=0).history
    assert history["feature_matching"][-1] < 0.5 * history["feature_matching"][0]
    assert "g_loss" in history and "d_loss" in history


def test_feature_matching_saves_loads_and_keeps_one_copy_of_the_weights(tmp_path):
    gan = _gan(feature_matching="features")
    plain = _gan()
    assert len(gan.weights) == len(plain.weights)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3)
    )
    gan.fit(_images(32), batch_size=16, verbose=0)
    gan.save(tmp_path / "fm.keras")
    loaded = keras.saving.load_model(tmp_path / "fm.keras")
    assert loaded.feature_matching == "features"
    z = gan.noise_batch(4)
    np.testing.assert_allclose(loaded.generate(z), gan.generate(z), rtol=1e-6)
    x = _images(4)
    np.testing.assert_allclose(loaded(x), gan(x), rtol=1e-6)


def test_conditional_gan_matches_features_of_the_labelled_discriminator():
    cgan = ConditionalGAN(
        latent_dim=4,
        generator_units=(16,),
        discriminator=_discriminator(labels=True),
        feature_matching="features",
        seed=0,
    )
    cgan.compile(
        d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3)
    )
    ds = tf.data.Dataset.from_tensor_slices((_images(32), np.arange(32) % 10))
    history = cgan.fit(ds.batch(16), verbose=0).history
    assert np.isfinite(history["feature_matching"][-1])


def test_feature_matching_names_a_layer_that_exists():
    with pytest.raises(ValueError, match="'nope' is not a layer.*features, logit"):
        _gan(feature_matching="nope")
    with pytest.raises(ValueError, match=r"\[features, logits\], got 1 output"):
        _gan(feature_matching=True)
    with pytest.raises(TypeError, match="got int"):
        _gan(feature_matching=3)
