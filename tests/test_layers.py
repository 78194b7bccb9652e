"""Layers: Maxout."""

import keras
import numpy as np
import pytest

from keras_gen.layers import Maxout


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


def test_corruptions_in_layers_equal_the_old_data_ones_bit_for_bit():
    # Temporary: proves the move before data.py's copies are deleted.
    import tensorflow as tf

    from keras_gen import data, layers

    x = tf.random.stateless_uniform((64, 28, 28, 1), [1, 2])
    for kind, level in [("gaussian", 0.3), ("masking", 0.25), ("salt_and_pepper", 0.4)]:
        for seed in (0, 7):
            np.testing.assert_array_equal(
                data.corrupt(x, kind, level, seed=seed),
                layers.corrupt(x, kind, level, seed=seed),
            )
        old, new = keras.random.SeedGenerator(3), keras.random.SeedGenerator(3)
        for _ in range(3):
            np.testing.assert_array_equal(
                data.corrupt(x, kind, level, seed=old),
                layers.corrupt(x, kind, level, seed=new),
            )
    np.testing.assert_array_equal(
        data.gaussian_noise(x, 2.0, 5, clip=True),
        layers.gaussian_noise(x, 2.0, 5, clip=True),
    )
    np.testing.assert_array_equal(
        data.masking_noise(x, 0.3, 1), layers.masking_noise(x, 0.3, 1)
    )
    np.testing.assert_array_equal(
        data.salt_and_pepper(x, 0.3, 1), layers.salt_and_pepper(x, 0.3, 1)
    )
