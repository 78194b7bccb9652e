"""PacGAN packing (`layers.Pack`, `layers.Unpack`): property tests, and a GAN
whose discriminator judges packs of examples trains through `model.fit`."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import GAN, layers

from . import harness


def _points(n, d=2, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d)).astype("float32")


def packed_discriminator(packing, d=2, units=8):
    x = keras.Input((d,))
    h = layers.Pack(packing)(x)
    h = keras.layers.Dense(units, activation="relu")(h)
    return keras.Model(x, layers.Unpack(packing)(keras.layers.Dense(1)(h)))


def test_pack_concatenates_consecutive_examples_and_unpack_repeats():
    x = _points(6, d=3)
    packed = np.asarray(layers.Pack(3)(x))
    assert packed.shape == (2, 9)
    np.testing.assert_array_equal(packed[1], x[3:].reshape(-1))
    images = np.arange(4 * 2 * 2 * 1, dtype="float32").reshape(4, 2, 2, 1)
    assert layers.Pack(2)(images).shape == (2, 8)
    scores = np.array([[1.0], [2.0]], "float32")
    np.testing.assert_array_equal(
        np.asarray(layers.Unpack(2)(scores)), [[1.0], [1.0], [2.0], [2.0]]
    )


def test_a_packs_score_depends_on_its_members_only():
    disc = packed_discriminator(2)
    x = _points(8)
    score = np.asarray(disc(x))[:, 0]
    assert np.all(score[0::2] == score[1::2])  # both members get the pack's score
    changed = x.copy()
    changed[5] += 3.0  # a member of the third pack
    other = np.asarray(disc(changed))[:, 0]
    np.testing.assert_allclose(other[[0, 1, 2, 3, 6, 7]], score[[0, 1, 2, 3, 6, 7]])
    assert not np.allclose(other[4:6], score[4:6])


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: layers.Pack(1), "at least 2"),
        (lambda: layers.Unpack(0), "positive integer"),
        (lambda: layers.Pack(2.5), "positive integer"),
        (lambda: layers.Pack(2)(_points(5)), "multiple of 2, got a batch of 5"),
    ],
)
def test_packing_arguments_and_batches_are_checked(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def _gan(packing, seed=0):
    keras.utils.set_random_seed(seed)
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    return GAN(
        (2,),
        2,
        generator=generator,
        discriminator=packed_discriminator(packing),
        noise="normal",
        input_range=None,
        seed=seed,
    )


def test_a_gan_with_a_packed_discriminator_trains_and_round_trips(tmp_path):
    model = _gan(4)
    harness.compile_model(model)
    before = harness.weights_of(model)
    history = model.fit(_points(64), batch_size=16, epochs=2, verbose=0)
    harness.assert_finite_history(history)
    after = model.get_weights()
    assert any(not np.array_equal(u, v) for u, v in zip(before, after, strict=True))
    model.save(tmp_path / "pac.keras")
    loaded = keras.saving.load_model(tmp_path / "pac.keras")
    x = _points(8, seed=3)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-5)


def test_a_batch_the_packs_do_not_divide_fails_and_leaves_the_weights():
    model = _gan(4)
    harness.compile_model(model)
    before = harness.weights_of(model)
    # 16 examples in batches of 6: the last batch of 4 would pass, the first not.
    with pytest.raises((ValueError, tf.errors.InvalidArgumentError), match="multiple"):
        model.fit(_points(16), batch_size=6, epochs=1, verbose=0)
    after = model.get_weights()
    assert all(np.array_equal(u, v) for u, v in zip(before, after, strict=True))
