"""Parzen window log-likelihood."""

import numpy as np
import pytest

from keras_gen import metrics


def test_parzen_with_one_centre_is_the_gaussian_density():
    x = np.array([[0.5, -1.0], [2.0, 0.0]])
    centre = np.zeros((1, 2))
    sigma = 0.7
    expected = -(x**2).sum(1) / (2 * sigma**2) - 2 * np.log(sigma * np.sqrt(2 * np.pi))
    np.testing.assert_allclose(
        metrics.parzen_log_likelihood(centre, x, sigma, batch_size=1), expected
    )


def test_parzen_approaches_the_true_density_and_picks_a_sensible_sigma():
    rng = np.random.default_rng(0)
    samples, x_val, x_test = (rng.normal(size=(n, 2)) for n in (20000, 500, 2000))
    sigma, scores = metrics.select_parzen_sigma(samples, x_val)
    assert len(scores) == 10 and scores[sigma] == max(scores.values())
    assert 0.1 < sigma < 0.6  # neither the narrowest nor the widest kernel
    true = -(x_test**2).sum(1) / 2 - np.log(2 * np.pi)
    estimate = metrics.parzen_log_likelihood(samples, x_test, sigma)
    assert abs(estimate.mean() - true.mean()) < 0.1
    with pytest.raises(ValueError, match="sigma must be > 0"):
        metrics.parzen_log_likelihood(samples, x_test, 0.0)
    with pytest.raises(ValueError, match="same size per example, got 2 and 3"):
        metrics.parzen_log_likelihood(samples, np.zeros((1, 3)), 0.5)
