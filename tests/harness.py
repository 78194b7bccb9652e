"""The checks every registered architecture goes through (see test_registry.py)."""

import keras
import numpy as np
import tensorflow as tf

from keras_gen import zoo
from keras_gen.models.base import GenerativeModel

N = 16


def small_model(name, **extra):
    preset = zoo.get_preset(name)
    return preset.model_class(**(preset.config | preset.test_overrides | extra))


def fake_batch(model, n=N, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (n, *model.data_shape)).astype("float32")


def fake_labels(model, n=N, seed=0):
    return np.random.default_rng(seed).integers(0, model.num_classes, n)


def compile_model(model):
    """One Adam per optimizer the model names (a GAN has two)."""
    model.compile(
        **{name: keras.optimizers.Adam(1e-3) for name in model.optimizer_names}
    )


def fit_data(model, x):
    """`x`, or `(x, labels)` for a model that needs labels."""
    if getattr(model, "requires_labels", False):
        return x, fake_labels(model, len(x))
    return x


def call_inputs(model, x):
    if getattr(model, "conditional", False):
        return x, fake_labels(model, len(x))
    return x


def optimizers_of(model):
    return [getattr(model, name) for name in model.optimizer_names]


def assert_finite_history(history):
    assert history.history, "fit reported no metrics"
    for name, values in history.history.items():
        assert np.all(np.isfinite(values)), (name, values)


def weights_of(model):
    return [w.copy() for w in model.get_weights()]


def assert_same_weights(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)


def check_build_and_call(model):
    x = fake_batch(model)
    out = model(call_inputs(model, x))
    if hasattr(model, "reconstruct"):
        assert tuple(out.shape) == x.shape
    assert out.shape[0] == len(x)
    assert np.all(np.isfinite(out))


def check_fit_step(model):
    x = fake_batch(model, 32)
    compile_model(model)
    before = weights_of(model)
    history = model.fit(
        tf.data.Dataset.from_tensor_slices(fit_data(model, x)).batch(16),
        epochs=1,
        verbose=0,
    )
    assert_finite_history(history)
    after = model.get_weights()
    assert any(not np.array_equal(u, v) for u, v in zip(before, after, strict=True))


def check_fit_accepts_pairs(model):
    x = fake_batch(model, 32)
    y = np.arange(32) % getattr(model, "num_classes", 10)
    compile_model(model)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    assert_finite_history(model.fit(ds, epochs=1, verbose=0))


def check_config_round_trip(model):
    config = model.get_config()
    clone = type(model).from_config(config)
    assert clone.get_config() == config
    clone.set_weights(model.get_weights())
    inputs = call_inputs(model, fake_batch(model))
    np.testing.assert_allclose(clone(inputs), model(inputs), rtol=1e-6, atol=1e-6)


def check_save_load(model, tmp_path):
    x = fake_batch(model, 32)
    data = fit_data(model, x)
    compile_model(model)
    model.fit(
        *([data] if isinstance(data, np.ndarray) else data),
        epochs=1,
        batch_size=16,
        verbose=0,
    )
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    inputs = call_inputs(model, x)
    np.testing.assert_allclose(loaded(inputs), model(inputs), rtol=1e-6, atol=1e-6)
    # Training continues after loading, with every optimizer's state restored.
    for saved, restored in zip(
        optimizers_of(model), optimizers_of(loaded), strict=True
    ):
        assert restored is not None
        assert type(restored) is type(saved)
        assert int(restored.iterations) == int(saved.iterations) > 0
        for u, v in zip(saved.variables, restored.variables, strict=True):
            np.testing.assert_array_equal(u.numpy(), v.numpy())
    before = weights_of(loaded)
    history = loaded.fit(
        *([data] if isinstance(data, np.ndarray) else data),
        epochs=1,
        batch_size=16,
        verbose=0,
    )
    assert_finite_history(history)
    assert any(
        not np.array_equal(u, v)
        for u, v in zip(before, loaded.get_weights(), strict=True)
    )


def check_verbs(model):
    x = fake_batch(model, 4)
    if hasattr(model, "encode"):
        labels = fake_labels(model, 4) if getattr(model, "conditional", False) else None
        code = model.encode(x) if labels is None else model.encode(x, labels)
        # A VAE's code is a distribution q(z|x) with batch shape [4].
        shape = code.batch_shape if hasattr(code, "batch_shape") else code.shape
        assert shape[0] == 4
    if type(model).sample is GenerativeModel.sample:
        return  # not a generative model (the domain classifier)
    if getattr(model, "conditional", False):
        samples = model.sample(5, labels=fake_labels(model, 5))
    else:
        samples = model.sample(5)
    assert tuple(samples.shape) == (5, *model.data_shape)
    assert np.all(np.isfinite(samples))


def check_rejects_wrong_shape(model):
    compile_model(model)
    before = weights_of(model)
    bad = np.zeros((8, *model.data_shape[:-1], model.data_shape[-1] + 1), "float32")
    expected = ", ".join(map(str, model.data_shape))
    labels = fake_labels(model, 8) if hasattr(model, "num_classes") else None
    pairs = bad if labels is None else (bad, labels)
    for call in (
        lambda: model.fit(bad, labels, epochs=1, verbose=0),
        lambda: model.fit(
            tf.data.Dataset.from_tensor_slices(pairs).batch(4), verbose=0
        ),
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
        compile_model(model)
    x = fake_batch(model, 64)
    history = model.fit(
        tf.data.Dataset.from_tensor_slices(fit_data(model, x)).batch(16),
        epochs=1,
        verbose=0,
    )
    assert_finite_history(history)


def run_all(name, tmp_path, strategy):
    check_build_and_call(small_model(name))
    check_fit_step(small_model(name))
    check_fit_accepts_pairs(small_model(name))
    check_config_round_trip(small_model(name))
    check_save_load(small_model(name), tmp_path)
    check_verbs(small_model(name))
    check_rejects_wrong_shape(small_model(name))
    check_distributed_fit(name, strategy)
