"""GAN losses: values against their formulas, saturation, the gradient penalty."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import losses


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_minimax_losses_match_the_2014_formulas():
    real = np.array([2.0, -1.0, 0.5], "float32")
    fake = np.array([-3.0, 0.0, 1.0], "float32")
    d_real, d_fake = _sigmoid(real), _sigmoid(fake)
    np.testing.assert_allclose(
        losses.minimax_discriminator_loss(real, fake),
        -(np.log(d_real) + np.log(1 - d_fake)),
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        losses.minimax_generator_loss(fake), np.log(1 - d_fake), rtol=1e-5
    )
    np.testing.assert_allclose(
        losses.modified_generator_loss(fake), -np.log(d_fake), rtol=1e-5
    )
    smoothed = losses.minimax_discriminator_loss(real, fake, label_smoothing=0.1)
    np.testing.assert_allclose(
        smoothed,
        -(0.9 * np.log(d_real) + 0.1 * np.log(1 - d_real) + np.log(1 - d_fake)),
        rtol=1e-5,
    )
    assert losses.minimax_discriminator_loss(real[:, None], fake[:, None]).shape == (3,)


def test_saturating_generator_loss_has_no_gradient_when_d_wins():
    fake = tf.constant([-10.0])  # D(G(z)) ~ 5e-5: the discriminator rejects it
    grads = {}
    for name in ("minimax_generator_loss", "modified_generator_loss"):
        with tf.GradientTape() as tape:
            tape.watch(fake)
            loss = getattr(losses, name)(fake)
        grads[name] = abs(float(tape.gradient(loss, fake)[0]))
    assert grads["minimax_generator_loss"] < 1e-4
    assert grads["modified_generator_loss"] > 0.99


def test_wasserstein_and_least_squares_losses():
    real, fake = np.array([1.0, 2.0], "float32"), np.array([0.5, -1.0], "float32")
    np.testing.assert_allclose(
        losses.wasserstein_discriminator_loss(real, fake), fake - real
    )
    np.testing.assert_allclose(losses.wasserstein_generator_loss(fake), -fake)
    np.testing.assert_allclose(
        losses.least_squares_discriminator_loss(real, fake),
        0.5 * (real - 1) ** 2 + 0.5 * fake**2,
    )
    np.testing.assert_allclose(
        losses.least_squares_generator_loss(fake), 0.5 * (fake - 1) ** 2
    )


def test_gradient_penalty_of_a_linear_critic_is_its_slope_off_one():
    w = np.array([3.0, 4.0], "float32")  # ||w|| = 5
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    critic.layers[0].set_weights([w[:, None], np.zeros(1, "float32")])
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(8, 2)), rng.normal(size=(8, 2))
    penalty = losses.gradient_penalty(critic, real.astype("float32"), fake, seed=0)
    np.testing.assert_allclose(penalty, np.full(8, (5.0 - 1.0) ** 2), rtol=1e-5)
    critic.layers[0].set_weights([w[:, None] / 5, np.zeros(1, "float32")])
    unit = losses.gradient_penalty(critic, real.astype("float32"), fake, seed=0)
    np.testing.assert_allclose(unit, 0.0, atol=1e-6)


def test_mismatched_batches_and_bad_smoothing_are_refused():
    with pytest.raises(ValueError, match=r"same shape .* got \(3,\) and \(2,\)"):
        losses.minimax_discriminator_loss(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\)"):
        losses.minimax_discriminator_loss(np.zeros(3), np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="same shape"):
        losses.gradient_penalty(lambda x: x, np.zeros((2, 3)), np.zeros((3, 3)))
