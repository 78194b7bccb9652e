"""`TrainingCheckpoint` under `MirroredStrategy` (2 logical CPUs): a run stopped
mid-epoch resumes inside its epoch and ends where a run never stopped ends; a state
saved under the strategy loads into a model built without one, and the reverse."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import data
from keras_gen.callbacks import TrainingCheckpoint

from . import harness

EXAMPLES, BATCH, EPOCHS = 96, 16, 2  # 6 batches an epoch
EVERY, STOP_AT = 2, 9  # saved after steps 2, 4, 6, 8; stopped after step 9


class StopAt(keras.callbacks.Callback):
    def __init__(self, step):
        super().__init__()
        self.step, self.steps = step, 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.steps == self.step:
            raise KeyboardInterrupt(f"stopped after step {self.step}")


def _setup(strategy, name="gan_mnist"):
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = harness.small_model(name)
        harness.compile_model(model)
    x = np.random.default_rng(1).integers(0, 256, (EXAMPLES, 28, 28, 1), np.uint8)
    ds = data.from_arrays(
        x, batch_size=BATCH, shuffle=True, seed=3, flatten=len(model.data_shape) == 1
    )
    return model, ds


def _state(model):
    return [keras.ops.convert_to_numpy(v) for v in model.variables] + [
        keras.ops.convert_to_numpy(v)
        for name in model.optimizer_names
        for v in getattr(model, name).variables
    ]


@pytest.mark.slow
def test_a_stopped_mirrored_run_resumes_inside_its_epoch(two_replicas, tmp_path):
    model, ds = _setup(two_replicas)
    never = TrainingCheckpoint(tmp_path / "never", every_steps=10**6)
    model.fit(ds, epochs=EPOCHS, verbose=0, callbacks=[never])
    full = _state(model)

    model, ds = _setup(two_replicas)
    ckpt = TrainingCheckpoint(tmp_path / "ckpt", every_steps=EVERY)
    with pytest.raises(KeyboardInterrupt):
        model.fit(ds, epochs=EPOCHS, verbose=0, callbacks=[ckpt, StopAt(STOP_AT)])
    assert ckpt.saved_position()[:2] == (1, 2)  # epoch 2, after its batch 2

    model, ds = _setup(two_replicas)
    model.fit(ds, epochs=EPOCHS, verbose=0, callbacks=[ckpt])
    resumed = _state(model)
    assert len(resumed) == len(full)
    for a, b in zip(resumed, full, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    for name in model.optimizer_names:  # both of the GAN's went on
        assert int(getattr(model, name).iterations.numpy()) == EPOCHS * 6


@pytest.mark.parametrize("saved_under", ["mirrored", "default"])
def test_a_state_loads_with_or_without_the_strategy(
    two_replicas, tmp_path, saved_under
):
    strategies = {"mirrored": two_replicas, "default": tf.distribute.get_strategy()}
    loaded_under = "default" if saved_under == "mirrored" else "mirrored"
    model, ds = _setup(strategies[saved_under], "aae_mnist")
    ckpt = TrainingCheckpoint(tmp_path, every_steps=EVERY)
    model.fit(ds, epochs=1, verbose=0, callbacks=[ckpt])
    saved = _state(model)

    other, _ = _setup(strategies[loaded_under], "aae_mnist")
    with strategies[loaded_under].scope():
        assert ckpt.restore(other) == (1, 0, 6)
    restored = _state(other)
    assert len(restored) == len(saved)
    for a, b in zip(restored, saved, strict=True):
        np.testing.assert_array_equal(a, b)
