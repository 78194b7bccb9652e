"""Historical averaging (Salimans et al. 2016, 3.3): the running means of each
player's weights, the penalty toward them, and their state across save/load."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import GAN


def _gan(**kwargs):
    return GAN(
        latent_dim=4,
        generator_units=(8,),
        discriminator_units=(8,),
        maxout_pieces=2,
        seed=0,
        **kwargs,
    )


def _compiled(**kwargs):
    gan = _gan(**kwargs)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2)
    )
    return gan


def _images(n=64):
    return np.random.default_rng(0).uniform(0, 1, (n, 28, 28, 1)).astype("float32")


class _Kernels(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append(self.model.generator.trainable_variables[0].numpy().copy())


def test_the_history_is_the_mean_of_the_weights_after_every_step():
    gan = _compiled(historical_averaging=0.1)
    kernels = _Kernels()
    gan.fit(_images(), batch_size=16, epochs=2, verbose=0, callbacks=[kernels])
    means, count = gan._histories["generator"]
    assert float(count.numpy()) == len(kernels.seen) == 8
    np.testing.assert_allclose(means[0].numpy(), np.mean(kernels.seen, 0), atol=1e-6)


def test_the_penalty_keeps_the_weights_near_their_history():
    def spread(weight):
        gan = _compiled(**({} if weight is None else {"historical_averaging": weight}))
        kernels = _Kernels()
        gan.fit(_images(), batch_size=16, epochs=5, verbose=0, callbacks=[kernels])
        seen = np.array(kernels.seen)
        return float(np.mean(np.sum((seen - seen.mean(0)) ** 2, axis=(1, 2))))

    assert spread(1000.0) < 0.5 * spread(None)


def test_the_history_survives_save_and_load(tmp_path):
    gan = _compiled(historical_averaging=0.1)
    gan.fit(_images(32), batch_size=16, verbose=0)
    gan.save(tmp_path / "ha.keras")
    loaded = keras.saving.load_model(tmp_path / "ha.keras")
    for (a, ca), (b, cb) in zip(
        gan._histories.values(), loaded._histories.values(), strict=True
    ):
        assert float(ca.numpy()) == float(cb.numpy()) == 2
        for u, v in zip(a, b, strict=True):
            np.testing.assert_array_equal(u.numpy(), v.numpy())
    loaded.fit(_images(32), batch_size=16, verbose=0)
    assert float(loaded._histories["generator"][1].numpy()) == 4


def test_historical_averaging_trains_on_two_replicas(two_replicas):
    with two_replicas.scope():
        gan = _compiled(historical_averaging=0.1)
    gan.fit(tf.data.Dataset.from_tensor_slices(_images()).batch(16), verbose=0)
    assert float(gan._histories["discriminator"][1].numpy()) == 4


@pytest.mark.parametrize("bad", [0, -1.0, True])
def test_the_weight_must_be_positive(bad):
    with pytest.raises(
        ValueError, match="historical_averaging must be None or a weight"
    ):
        _gan(historical_averaging=bad)
