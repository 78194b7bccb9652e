"""Layers: Maxout, corruptions (functions and the Corruption layer), shift/rotate."""

import hashlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import data, layers
from keras_gen.layers import Corruption, Maxout


def test_maxout_takes_the_max_of_its_linear_pieces():
    layer = Maxout(3, pieces=4)
    x = np.random.default_rng(0).normal(size=(5, 6)).astype("float32")
    out = np.asarray(layer(x))
    assert out.shape == (5, 3)
    z = x @ layer.kernel.numpy() + layer.bias.numpy()
    np.testing.assert_allclose(out, z.reshape(5, 3, 4).max(-1), rtol=1e-5)
    sequence = np.zeros((2, 7, 6), "float32")  # leading axes are kept
    assert tuple(layer(sequence).shape) == layer.compute_output_shape((2, 7, 6))


def test_maxout_round_trips_in_a_saved_model(tmp_path):
    model = keras.Sequential([keras.Input((6,)), Maxout(4, 2), keras.layers.Dense(1)])
    x = np.ones((2, 6), "float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6)
    assert loaded.layers[0].get_config()["pieces"] == 2


@pytest.mark.parametrize("kwargs", [dict(units=0), dict(units=2, pieces=1.5)])
def test_maxout_arguments_are_checked(kwargs):
    with pytest.raises(ValueError, match="must be a positive integer"):
        Maxout(**kwargs)


def _digest(*arrays):
    return hashlib.sha256(b"".join(np.asarray(a).tobytes() for a in arrays)).hexdigest()


# Recorded from the corruptions as they were in keras_gen/data.py (commit 5c7e2a2)
# before the move: the DAE preset and the CAE benchmark depend on these draws.
OLD_DRAWS = {
    "gaussian": ("37b4d96c2d0fc3ca", 0.3),
    "masking": ("9c207d541ea8b75b", 0.25),
    "salt_and_pepper": ("0624bb97dcf1126e", 0.4),
}


@pytest.mark.parametrize("kind", sorted(OLD_DRAWS))
def test_corruptions_draw_what_data_py_drew_bit_for_bit(kind):
    digest, level = OLD_DRAWS[kind]
    x = tf.random.stateless_uniform((8, 28, 28, 1), [1, 2])
    gen = keras.random.SeedGenerator(3)
    outs = [layers.corrupt(x, kind, level, seed=7)]
    outs += [layers.corrupt(x, kind, level, seed=gen) for _ in range(2)]
    assert _digest(*outs)[:16] == digest


def test_named_corruptions_equal_corrupt():
    x = tf.random.stateless_uniform((4, 28, 28, 1), [3, 4])
    np.testing.assert_array_equal(
        layers.masking_noise(x, 0.3, 1), layers.corrupt(x, "masking", 0.3, 1)
    )
    np.testing.assert_array_equal(
        layers.salt_and_pepper(x, 0.3, 1),
        layers.corrupt(x, "salt_and_pepper", 0.3, 1),
    )
    np.testing.assert_array_equal(
        layers.gaussian_noise(x, 0.3, 1), layers.corrupt(x, "gaussian", 0.3, 1)
    )


def test_corruption_statistics():
    x = tf.fill((200, 28, 28, 1), 0.5)
    masked = layers.masking_noise(x, 0.3, seed=1).numpy()
    assert abs((masked == 0).mean() - 0.3) < 0.01
    salted = layers.salt_and_pepper(x, 0.2, seed=2).numpy()
    assert abs((salted != 0.5).mean() - 0.2) < 0.01
    assert abs((salted == 1).mean() - 0.1) < 0.01
    noisy = layers.gaussian_noise(x, 0.25, seed=3).numpy()
    assert abs((noisy - 0.5).std() - 0.25) < 0.005
    clipped = layers.gaussian_noise(x, 2.0, seed=3, clip=True).numpy()
    assert clipped.min() == 0.0 and clipped.max() == 1.0


def test_seed_generator_gives_fresh_noise_each_call():
    gen = keras.random.SeedGenerator(0)
    x = tf.ones((4, 28, 28, 1))
    a = layers.corrupt(x, "masking", 0.5, seed=gen)
    b = layers.corrupt(x, "masking", 0.5, seed=gen)
    assert not np.array_equal(a, b)


@pytest.mark.parametrize(
    "kind, level, message",
    [
        ("blur", 0.1, "one of gaussian, masking, salt_and_pepper"),
        ("masking", 1.5, "fraction must be in \\[0, 1\\]"),
        ("salt_and_pepper", -0.1, "fraction must be in \\[0, 1\\]"),
        ("gaussian", -1.0, "sigma must be >= 0"),
    ],
)
def test_bad_corruption_arguments(kind, level, message):
    with pytest.raises(ValueError, match=message):
        layers.check_corruption(kind, level)
    with pytest.raises(ValueError, match=message):
        layers.corrupt(tf.zeros((1, 2)), kind, level)
    with pytest.raises(ValueError, match=message):
        Corruption(kind, level)
    # The data pipeline's corruptions share the check.
    with pytest.raises(ValueError, match=message):
        data.corruption_map(kind, level)


def test_check_corruption_names_the_callers_argument():
    with pytest.raises(ValueError, match="noise_level: sigma must be >= 0"):
        layers.check_corruption("gaussian", -1, "noise_level")


def test_corruption_layer_corrupts_only_while_training():
    layer = Corruption("salt_and_pepper", 0.3, seed=0)
    x = tf.fill((50, 28, 28, 1), 0.5)
    np.testing.assert_array_equal(layer(x), x)
    a, b = layer(x, training=True).numpy(), layer(x, training=True).numpy()
    assert abs((a != 0.5).mean() - 0.3) < 0.01 and set(np.unique(a)) == {0, 0.5, 1}
    assert not np.array_equal(a, b)  # fresh noise every call
    same = Corruption("salt_and_pepper", 0.3, seed=0)(x, training=True)
    np.testing.assert_array_equal(same, a)  # the seed fixes the draws


def test_corruption_layer_round_trips_in_a_saved_model(tmp_path):
    model = keras.Sequential(
        [keras.Input((6,)), Corruption("gaussian", 0.2, seed=4), keras.layers.Dense(1)]
    )
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    x = np.ones((2, 6), "float32")
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6)
    config = loaded.layers[0].get_config()
    assert (config["kind"], config["level"], config["seed"]) == ("gaussian", 0.2, 4)


def test_random_shift_rotate_draws_fresh_from_a_seed_generator_in_a_step():
    gen = keras.random.SeedGenerator(0)
    step = tf.function(
        lambda x: layers.random_shift_rotate(x, 2, 10.0, gen),
        input_signature=[tf.TensorSpec([None, 28, 28, 1])],
    )
    x = np.zeros((6, 28, 28, 1), "float32")
    x[:, 10:18, 10:18] = 1.0
    a, b = step(x).numpy(), step(x[:5]).numpy()
    assert a.shape == (6, 28, 28, 1) and b.shape == (5, 28, 28, 1)
    assert not np.array_equal(a[:5], b)
    assert a.min() >= 0.0 and a.max() <= 1.0  # zeros fill in, no overshoot
    with pytest.raises(ValueError, match="needs a keras.random.SeedGenerator"):
        tf.function(lambda x: layers.random_shift_rotate(x, 2, 0.0, 0))(x)


def test_random_shift_rotate_keeps_the_dtype():
    x = tf.ones((2, 28, 28, 1), "bfloat16")
    assert layers.random_shift_rotate(x, 2, 10.0, seed=1).dtype == "bfloat16"
