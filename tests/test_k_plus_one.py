"""The K+1-class discriminator losses of the semi-supervised GAN against an
explicit softmax over K + 1 classes with the fake logit at 0."""

import numpy as np

from keras_gen import losses


def _explicit(logits):
    full = np.concatenate([logits, np.zeros((len(logits), 1))], axis=1)
    full = full - full.max(1, keepdims=True)
    p = np.exp(full) / np.exp(full).sum(1, keepdims=True)
    return p[:, -1]  # p(fake | x)


def test_losses_equal_the_explicit_k_plus_one_softmax():
    logits = np.random.default_rng(0).normal(0, 3, (50, 10)).astype("float32")
    p_fake = _explicit(logits.astype("float64"))
    np.testing.assert_allclose(
        losses.k_plus_one_real_loss(logits), -np.log(1 - p_fake), rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(
        losses.k_plus_one_fake_loss(logits), -np.log(p_fake), rtol=1e-4, atol=1e-6
    )


def test_losses_stay_finite_where_the_discriminator_saturates():
    logits = np.array([[80.0] * 10, [-80.0] * 10], "float32")
    real = np.asarray(losses.k_plus_one_real_loss(logits))
    fake = np.asarray(losses.k_plus_one_fake_loss(logits))
    assert np.all(np.isfinite(real)) and np.all(np.isfinite(fake))
    assert real[0] < 1e-6 and fake[1] < 1e-6  # confident and right: no loss
