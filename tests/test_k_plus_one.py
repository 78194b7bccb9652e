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


def test_a_confident_real_loss_keeps_its_relative_precision():
    # -log D(x) = log(1 + 1/Z): tiny but not 0 for a confident discriminator. As
    # softplus(log Z) - log Z it would cancel to exactly 0 in float32 here.
    logits = np.array([[20.0] * 10, [30.0] * 10], "float32")
    log_z = np.log(10.0) + logits[:, 0].astype("float64")
    exact = np.log1p(np.exp(-log_z))
    real = np.asarray(losses.k_plus_one_real_loss(logits), "float64")
    assert np.all(real > 0)
    np.testing.assert_allclose(real, exact, rtol=1e-5)


def test_labelled_cross_entropy_is_the_mean_over_labelled_examples_only():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 2, (8, 4)).astype("float32")
    labels = np.array([2, -1, 0, -1, -1, 3, -1, 1])
    terms, ce, labelled = (
        np.asarray(t) for t in losses.labelled_cross_entropy(labels, logits)
    )
    shifted = logits - logits.max(1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    keep = labels >= 0
    expected = -log_p[np.flatnonzero(keep), labels[keep]]
    np.testing.assert_allclose(terms.mean(), expected.mean(), rtol=1e-5)
    np.testing.assert_allclose(ce[keep], expected, rtol=1e-5)
    np.testing.assert_array_equal(labelled, keep.astype("float32"))
    assert np.all(terms[~keep] == 0)
    # Unlabelled examples' logits do not matter.
    other = logits.copy()
    other[~keep] = 100.0
    again = np.asarray(losses.labelled_cross_entropy(labels, other)[0])
    np.testing.assert_allclose(again, terms, rtol=1e-6)
