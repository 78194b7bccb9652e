"""Minibatch discrimination and virtual batch normalization: property tests."""

import keras
import numpy as np
import pytest

from keras_gen import layers


def _features(n=8, a=6, seed=0):
    return np.random.default_rng(seed).normal(size=(n, a)).astype("float32")


def test_identical_examples_give_the_batch_size_in_every_kernel():
    layer = layers.MinibatchDiscrimination(num_kernels=4, kernel_dim=3)
    x = np.repeat(_features(1), 5, axis=0)
    out = np.asarray(layer(x))
    assert out.shape == (5, 6 + 4)
    np.testing.assert_allclose(out[:, :6], x)  # f(x) passes through
    np.testing.assert_allclose(out[:, 6:], 5.0, rtol=1e-6)  # j runs over all, i too


def test_an_examples_minibatch_features_depend_on_its_batch():
    layer = layers.MinibatchDiscrimination(num_kernels=4, kernel_dim=3)
    x = _features()
    alone = np.asarray(layer(x[:4]))[0]
    other = np.concatenate([x[:1], _features(3, seed=5)])
    assert not np.allclose(alone[6:], np.asarray(layer(other))[0, 6:])
    np.testing.assert_allclose(alone[:6], np.asarray(layer(other))[0, :6])
    # The closeness of a distinct example to itself is 1, to others in (0, 1].
    assert np.all(alone[6:] >= 1.0) and np.all(alone[6:] <= 4.0)


def test_minibatch_discrimination_trains_inside_a_model_and_round_trips(tmp_path):
    x = keras.Input((6,))
    h = layers.MinibatchDiscrimination(num_kernels=3, kernel_dim=2)(x)
    model = keras.Model(x, keras.layers.Dense(1)(h))
    model.compile("adam", "mse")
    model.fit(_features(32), np.zeros((32, 1)), batch_size=8, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded(_features(8)), model(_features(8)), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(num_kernels=0), "num_kernels must be a positive integer, got 0"),
        (dict(kernel_dim=0), "kernel_dim must be a positive integer, got 0"),
        (dict(num_kernels=2.5), "num_kernels must be a positive integer, got 2.5"),
    ],
)
def test_minibatch_discrimination_arguments_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.MinibatchDiscrimination(**kwargs)


def _vbn_model():
    x = keras.Input((6,))
    h = keras.layers.Dense(5)(x)
    return keras.Model(x, layers.VirtualBatchNormalization()(h))


def test_vbn_output_of_an_example_ignores_the_rest_of_its_batch():
    model = _vbn_model()
    assert layers.set_reference_batch(model, _features(64, seed=1)) == 1
    x = _features(8)
    together = np.asarray(model(x))
    for i in range(8):
        np.testing.assert_allclose(
            np.asarray(model(x[i : i + 1]))[0], together[i], rtol=1e-5
        )
    mixed = np.concatenate([x[:1], 100 * _features(7, seed=9)])
    np.testing.assert_allclose(np.asarray(model(mixed))[0], together[0], rtol=1e-5)


def test_vbn_on_its_reference_batch_is_close_to_batch_normalization():
    model = _vbn_model()
    reference = _features(256, seed=2)
    layers.set_reference_batch(model, reference)
    hidden = np.asarray(model.layers[1](reference))
    batch_norm = (hidden - hidden.mean(0)) / np.sqrt(hidden.var(0) + 1e-5)
    # Each example also weighs 1/257 in its own statistics: outliers shrink a little.
    np.testing.assert_allclose(
        np.asarray(model(reference)), batch_norm, rtol=0.05, atol=0.01
    )


def test_vbn_before_its_reference_batch_is_a_clear_error():
    model = _vbn_model()
    with pytest.raises(ValueError, match="has no reference batch"):
        model(_features(4))
    with pytest.raises(ValueError, match="no VirtualBatchNormalization"):
        layers.set_reference_batch(
            keras.Sequential([keras.layers.Dense(2)]), _features(4)
        )


def test_weight_norm_dense_depends_on_the_direction_of_v_only():
    layer = layers.WeightNormDense(4)
    x = _features(16)
    before = np.asarray(layer(x))
    layer.v.assign(layer.v * 7.0)
    np.testing.assert_allclose(np.asarray(layer(x)), before, rtol=1e-5, atol=1e-6)
    w = np.asarray(layer.v) / np.linalg.norm(np.asarray(layer.v), axis=0)
    np.testing.assert_allclose(
        before, x @ w * np.asarray(layer.g), rtol=1e-5, atol=1e-6
    )


def test_weight_norm_dense_kernel_initializer_is_used_and_saved(tmp_path):
    init = keras.initializers.RandomNormal(stddev=0.1, seed=1)
    inputs = keras.Input((400,))
    model = keras.Model(
        inputs, layers.WeightNormDense(300, kernel_initializer=init)(inputs)
    )
    assert abs(float(np.std(np.asarray(model.layers[1].v))) - 0.1) < 0.005
    default = layers.WeightNormDense(300)
    default.build((None, 400))
    assert abs(float(np.std(np.asarray(default.v))) - 0.05) < 0.003
    model.save(tmp_path / "wn.keras")
    loaded = keras.saving.load_model(tmp_path / "wn.keras").layers[1]
    assert loaded.kernel_initializer.get_config()["stddev"] == 0.1


def test_weight_norm_data_init_standardizes_the_pre_activations(tmp_path):
    layer = layers.WeightNormDense(5, activation="relu")
    x = 3.0 + 2.0 * _features(256, seed=3)
    layer.data_init(x)
    layer.activation = keras.activations.get(None)
    pre = np.asarray(layer(x))
    np.testing.assert_allclose(pre.mean(0), 0.0, atol=1e-4)
    np.testing.assert_allclose(pre.std(0), 1.0, rtol=1e-3)
    inputs = keras.Input((6,))
    model = keras.Model(inputs, layers.WeightNormDense(3, activation="relu")(inputs))
    model.save(tmp_path / "wn.keras")
    loaded = keras.saving.load_model(tmp_path / "wn.keras")
    np.testing.assert_allclose(loaded(x[:4]), model(x[:4]), rtol=1e-6)


def _vbn_gan():
    from keras_gen.models import GAN

    gen = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(8, name="hidden"),
            layers.VirtualBatchNormalization(name="vbn"),
            keras.layers.Dense(2),
        ]
    )
    disc = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    gan = GAN((2,), 3, generator=gen, discriminator=disc, input_range=None, seed=0)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(0.05), g_optimizer=keras.optimizers.Adam(0.05)
    )
    return gan


def _reference_stats(gan):
    vbn = gan.generator.get_layer("vbn")
    return np.asarray(vbn.reference_mean), np.asarray(vbn.reference_mean_square)


def test_reference_batch_callback_keeps_vbn_statistics_current_through_fit():
    from keras_gen.callbacks import ReferenceBatch

    x = np.random.default_rng(0).normal(size=(256, 2)).astype("float32") + 3.0
    reference = _features(64, seed=3)[:, :3]
    current = []
    for refresh in (False, True):
        gan = _vbn_gan()
        layers.set_reference_batch(gan.generator, reference)
        before = _reference_stats(gan)
        callbacks = [ReferenceBatch(reference)] if refresh else []
        gan.fit(x, batch_size=32, epochs=2, verbose=0, callbacks=callbacks)
        after = _reference_stats(gan)
        layers.set_reference_batch(gan.generator, reference)  # the current weights
        fresh = _reference_stats(gan)
        # Training moved the hidden layer, so its statistics on the reference moved.
        assert not np.allclose(before[0], fresh[0], atol=1e-3)
        current.append(np.allclose(after[0], fresh[0], rtol=1e-5, atol=1e-6))
        current[-1] &= np.allclose(after[1], fresh[1], rtol=1e-5, atol=1e-6)
    # Without the callback the statistics stay those of the untrained network.
    assert current == [False, True]


def test_reference_batch_callback_checks_its_arguments():
    from keras_gen.callbacks import ReferenceBatch

    with pytest.raises(ValueError, match="at least 2 examples, got 1"):
        ReferenceBatch(np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match="rank >= 2"):
        ReferenceBatch(np.zeros(3, "float32"))
    with pytest.raises(ValueError, match="every must be a positive integer, got 0"):
        ReferenceBatch(np.zeros((4, 3), "float32"), every=0)
    gan = _vbn_gan()
    callback = ReferenceBatch(np.zeros((4, 3), "float32"), network="critic")
    callback.set_model(gan)
    with pytest.raises(ValueError, match="has no network 'critic'"):
        callback.on_train_begin()
