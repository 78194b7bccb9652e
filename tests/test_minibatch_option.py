"""`minibatch_discrimination=(B, C)`: the default discriminator of GAN, DCGAN and
ConditionalGAN gets a `MinibatchDiscrimination` layer before its logit."""

import keras
import numpy as np
import pytest

from keras_gen import DCGAN, GAN, ConditionalGAN, layers

SMALL = {
    GAN: dict(latent_dim=4, generator_units=(8,), discriminator_units=(8,)),
    DCGAN: dict(latent_dim=4, generator_filters=(8, 4), discriminator_filters=(4, 8)),
    ConditionalGAN: dict(latent_dim=4, generator_units=(8,), discriminator_units=(8,)),
}


def _images(n=32):
    return np.random.default_rng(0).uniform(0, 1, (n, 28, 28, 1)).astype("float32")


def _logits(model, x):
    if isinstance(model, ConditionalGAN):
        return model.discriminator([x, np.zeros((len(x), 1), "int32")])
    return model.discriminator(x)


@pytest.mark.parametrize("cls", list(SMALL))
def test_default_discriminator_gets_the_layer_and_it_trains(cls):
    keras.utils.set_random_seed(0)
    model = cls(**SMALL[cls], minibatch_discrimination=(5, 3), seed=0)
    layer = model.discriminator.get_layer("minibatch")
    assert isinstance(layer, layers.MinibatchDiscrimination)
    assert (layer.num_kernels, layer.kernel_dim) == (5, 3)
    # An example's logit now depends on the rest of its batch.
    x = _images(8)
    alone = np.asarray(_logits(model, x[:1]))
    among = np.asarray(_logits(model, x))[:1]
    assert not np.allclose(alone, among, atol=1e-7)
    # The option round-trips through the config.
    config = model.get_config()
    assert config["minibatch_discrimination"] == [5, 3]
    clone = cls.from_config(config)
    assert clone.discriminator.get_layer("minibatch").num_kernels == 5
    model.compile(
        d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3)
    )
    before = [np.array(w) for w in layer.weights]
    data = (_images(), np.arange(32) % 10) if cls is ConditionalGAN else _images()
    fit_args = data if isinstance(data, tuple) else (data,)
    history = model.fit(*fit_args, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][-1])
    assert any(
        not np.allclose(a, np.array(w))
        for a, w in zip(before, layer.weights, strict=True)
    )


def test_without_the_option_there_is_no_minibatch_layer():
    model = GAN(**SMALL[GAN], seed=0)
    assert model.minibatch_discrimination is None
    kinds = {type(layer) for layer in model.discriminator.layers}
    assert layers.MinibatchDiscrimination not in kinds


@pytest.mark.parametrize("value", [(0, 3), (4, 0), (4,), "4x3", (True, 3), 5])
def test_bad_option_is_refused(value):
    with pytest.raises(ValueError, match="minibatch_discrimination must be None or"):
        GAN(**SMALL[GAN], minibatch_discrimination=value)


def test_option_with_a_discriminator_of_ones_own_is_refused():
    own = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    with pytest.raises(ValueError, match="put a keras_gen.layers.MinibatchDiscrim"):
        GAN(**SMALL[GAN], discriminator=own, minibatch_discrimination=(4, 3))
