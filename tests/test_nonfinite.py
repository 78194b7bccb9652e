"""The first non-finite logged value stops `fit` with a message naming it, and the
checkpoints of the last good epoch stay as they were."""

import json

import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import GAN, Autoencoder
from keras_gen.callbacks import NonFiniteLossError, PresetCheckpoint, StopOnNonFinite

from . import harness


@keras.saving.register_keras_serializable(package="test_nonfinite")
class NaNAfter(keras.layers.Layer):
    """Passes its input through until its `k`-th training call, then adds NaN (a
    GAN's discriminator is called 3 times a step: real and fake for its own
    update, fake for the generator's)."""

    def __init__(self, k, **kwargs):
        super().__init__(**kwargs)
        self.k = k
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False)

    def call(self, x, training=False):
        if not training:
            return x
        self.calls.assign_add(1.0)
        return x + ops.where(self.calls >= self.k, float("nan"), 0.0)

    def get_config(self):
        return super().get_config() | {"k": self.k}


def _gan(nan_after):
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4)])
    discriminator = keras.Sequential(
        [keras.Input((4,)), NaNAfter(nan_after), keras.layers.Dense(1)]
    )
    model = GAN(
        (4,),
        2,
        generator=generator,
        discriminator=discriminator,
        noise="normal",
        input_range=None,
    )
    harness.compile_model(model)
    return model


def _points(n=64):
    return np.random.default_rng(0).normal(size=(n, 4)).astype("float32")


def test_a_gan_whose_losses_turn_nan_stops_at_that_batch():
    # Keras' TerminateOnNaN would not fire: a GAN logs no "loss".
    model = _gan(nan_after=3 * 2 + 1)  # the first call of step 3
    with pytest.raises(NonFiniteLossError) as stop:
        model.fit(_points(), batch_size=8, epochs=3, verbose=0)
    message = str(stop.value)
    assert "d_loss=nan" in message and "epoch 1, batch 3" in message
    assert "training step 3" in message


def test_the_last_good_checkpoint_is_kept(tmp_path):
    model = _gan(nan_after=3 * 9 + 1)  # step 10: epoch 2 (of 8 batches), batch 2
    checkpoint = PresetCheckpoint(tmp_path / "run", lambda history, s: {"h": history})
    with pytest.raises(NonFiniteLossError, match="epoch 2, batch 2"):
        model.fit(_points(), batch_size=8, epochs=4, callbacks=[checkpoint], verbose=0)
    meta = json.loads((tmp_path / "run" / "metadata.json").read_text())
    assert list(meta["h"]) == ["1"]  # written after epoch 1 only
    restored = _gan(nan_after=10**6)
    restored.load_weights(tmp_path / "run" / "model.weights.h5")
    assert all(np.isfinite(w).all() for w in restored.get_weights())


def test_a_validation_value_that_is_not_finite_stops_too():
    model = Autoencoder(input_shape=(4,), hidden_units=(3,), latent_dim=2, seed=0)
    harness.compile_model(model)
    guard = StopOnNonFinite()
    with pytest.raises(NonFiniteLossError, match="val_loss=inf at the end of epoch 1"):
        guard.set_model(model)
        guard.on_epoch_end(0, {"loss": 1.0, "val_loss": float("inf")})


def test_every_fit_puts_one_guard_first():
    model = _gan(nan_after=10**6)
    seen = []

    class Spy(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append(type(self))

    own = StopOnNonFinite()
    model.fit(_points(16), batch_size=8, epochs=1, verbose=0, callbacks=[own, Spy()])
    assert own.steps == 2 and seen == [Spy]
    history = model.fit(_points(16), batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"]).all()


def test_several_steps_per_execution_name_the_steps_of_that_call():
    model = _gan(nan_after=3 * 4 + 1)  # the first call of step 5
    model.compile(
        d_optimizer=keras.optimizers.Adam(1e-3),
        g_optimizer=keras.optimizers.Adam(1e-3),
        steps_per_execution=3,
    )
    with pytest.raises(NonFiniteLossError) as stop:
        model.fit(_points(), batch_size=8, epochs=2, verbose=0)
    # Keras reports after steps 3 and 6: step 5 is in the second compiled call.
    message = str(stop.value)
    assert "epoch 1, batches 4-6 of one compiled call" in message, message
    assert "training steps 4-6" in message, message


def test_a_resumed_run_names_the_step_counted_from_the_start(tmp_path):
    import tensorflow as tf

    from keras_gen.callbacks import TrainingCheckpoint

    data = tf.data.Dataset.from_tensor_slices(_points()).batch(8)  # 8 batches

    def run():
        model = _gan(nan_after=3 * 11 + 1)  # step 12: epoch 2, batch 4
        state = TrainingCheckpoint(tmp_path / "state", every_steps=3)
        with pytest.raises(NonFiniteLossError) as stop:
            model.fit(data, epochs=3, callbacks=[state], verbose=0)
        return str(stop.value), state.saved_position()

    first, (epoch, batch, _) = run()
    assert "epoch 2, batch 4 (training step 12)" in first, first
    assert epoch == 1 and 0 < batch < 4  # a state written inside epoch 2
    # Resumed from it (the layer's call count is part of the state), the NaN comes
    # at the same step, and the message counts it from the run's start.
    again, _ = run()
    assert "epoch 2, batch 4 (training step 12)" in again, again
