"""The checks every registered architecture goes through (see test_registry.py)."""

import keras
import numpy as np
import tensorflow as tf

from keras_gen import zoo

N = 16


def small_model(name, **extra):
    preset = zoo.get_preset(name)
    return preset.model_class(**(preset.config | preset.test_overrides | extra))


def fake_batch(model, n=N, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (n, *model.data_shape)).astype("float32")


def weights_of(model):
    return [w.copy() for w in model.get_weights()]


def assert_same_weights(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)


def check_build_and_call(model):
    x = fake_batch(model)
    out = model(x)
    assert tuple(out.shape) == x.shape
    assert np.all(np.isfinite(out))


def check_fit_step(model):
    x = fake_batch(model, 32)
    model.compile(keras.optimizers.Adam(1e-3))
    before = weights_of(model)
    history = model.fit(
        tf.data.Dataset.from_tensor_slices(x).batch(16), epochs=1, verbose=0
    )
    assert np.isfinite(history.history["loss"][-1])
    after = model.get_weights()
    assert any(not np.array_equal(u, v) for u, v in zip(before, after, strict=True))


def check_fit_accepts_pairs(model):
    x = fake_batch(model, 32)
    y = np.arange(32) % 10
    model.compile(keras.optimizers.Adam(1e-3))
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    history = model.fit(ds, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][-1])


def check_config_round_trip(model):
    config = model.get_config()
    clone = type(model).from_config(config)
    assert clone.get_config() == config
    clone.set_weights(model.get_weights())
    x = fake_batch(model)
    np.testing.assert_allclose(clone(x), model(x), rtol=1e-6, atol=1e-6)


def check_save_load(model, tmp_path):
    x = fake_batch(model, 32)
    model.compile(keras.optimizers.Adam(1e-3))
    model.fit(x, epochs=1, batch_size=16, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6, atol=1e-6)
    # Training continues after loading, with the optimizer state restored.
    assert loaded.optimizer is not None
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations)
    before = weights_of(loaded)
    history = loaded.fit(x, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    assert any(
        not np.array_equal(u, v)
        for u, v in zip(before, loaded.get_weights(), strict=True)
    )


def check_verbs(model):
    x = fake_batch(model, 4)
    if hasattr(model, "encode"):
        code = model.encode(x)
        assert code.shape[0] == 4
    samples = model.sample(5)
    assert tuple(samples.shape) == (5, *model.data_shape)
    assert np.all(np.isfinite(samples))


def check_rejects_wrong_shape(model):
    model.compile(keras.optimizers.Adam(1e-3))
    before = weights_of(model)
    bad = np.zeros((8, *model.data_shape[:-1], model.data_shape[-1] + 1), "float32")
    expected = ", ".join(map(str, model.data_shape))
    for call in (
        lambda: model.fit(bad, epochs=1, verbose=0),
        lambda: model.fit(tf.data.Dataset.from_tensor_slices(bad).batch(4), verbose=0),
        lambda: model.encode(bad) if hasattr(model, "encode") else model.fit(bad),
    ):
        try:
            call()
        except ValueError as err:
            message = str(err)
            assert f"(batch, {expected})" in message, message
            assert str(bad.shape[1:][-1]) in message, message
        else:
            raise AssertionError("wrong-shape input was accepted")
    assert_same_weights(before, model.get_weights())


def check_distributed_fit(name, strategy):
    assert strategy.num_replicas_in_sync == 2
    with strategy.scope():
        model = small_model(name)
        model.compile(keras.optimizers.Adam(1e-3))
    x = fake_batch(model, 64)
    history = model.fit(
        tf.data.Dataset.from_tensor_slices(x).batch(16), epochs=1, verbose=0
    )
    assert np.all(np.isfinite(history.history["loss"]))


def run_all(name, tmp_path, strategy):
    check_build_and_call(small_model(name))
    check_fit_step(small_model(name))
    check_fit_accepts_pairs(small_model(name))
    check_config_round_trip(small_model(name))
    check_save_load(small_model(name), tmp_path)
    check_verbs(small_model(name))
    check_rejects_wrong_shape(small_model(name))
    check_distributed_fit(name, strategy)
