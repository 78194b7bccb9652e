"""KL, the real JSD, the optimal discriminator and the GAN identity, numerically."""

import numpy as np
import pytest

from keras_gen import divergences as dv


def _random_distributions(seed, n=5, k=12):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(k), n), rng.dirichlet(np.ones(k), n)


def test_kl_is_nonnegative_zero_iff_equal_and_asymmetric():
    p, q = _random_distributions(0)
    assert np.all(dv.kl_divergence(p, q) > 0)
    np.testing.assert_allclose(dv.kl_divergence(p, p), 0.0, atol=1e-12)
    assert not np.allclose(dv.kl_divergence(p, q), dv.kl_divergence(q, p))
    assert dv.kl_divergence([0.5, 0.5], [0.9, 0.1]) == pytest.approx(
        0.5 * np.log(0.5 / 0.9) + 0.5 * np.log(0.5 / 0.1)
    )
    assert dv.kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf
    assert dv.kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(np.log(2))


def test_jsd_is_symmetric_bounded_by_log2_and_not_the_symmetric_kl():
    p, q = _random_distributions(1)
    jsd = dv.js_divergence(p, q)
    np.testing.assert_allclose(jsd, dv.js_divergence(q, p))
    assert np.all((jsd > 0) & (jsd < np.log(2)))
    np.testing.assert_allclose(dv.js_divergence(p, p), 0.0, atol=1e-12)
    # Disjoint supports reach the bound; the symmetric KL is infinite there.
    assert dv.js_divergence([1, 1, 0, 0], [0, 0, 1, 1]) == pytest.approx(np.log(2))
    assert dv.symmetric_kl([1, 1, 0, 0], [0, 0, 1, 1]) == np.inf
    assert np.all(np.abs(dv.symmetric_kl(p, q) - jsd) > 1e-3)


def test_densities_on_a_grid_are_normalized_first():
    grid = np.linspace(-5, 5, 2001)
    p = np.exp(-0.5 * grid**2)  # N(0, 1), unnormalized
    q = np.exp(-0.5 * (grid - 1) ** 2)  # N(1, 1)
    assert dv.kl_divergence(p, q) == pytest.approx(0.5, rel=1e-3)  # (mu diff)^2 / 2


def test_optimal_discriminator_maximizes_v_and_gives_the_jsd_identity():
    p_data, p_g = _random_distributions(2)
    d_star = dv.optimal_discriminator(p_data, p_g)
    c = dv.virtual_training_criterion(p_data, p_g)
    np.testing.assert_allclose(c, -np.log(4) + 2 * dv.js_divergence(p_data, p_g))
    rng = np.random.default_rng(3)
    for _ in range(20):
        d = np.clip(d_star + rng.normal(0, 0.1, d_star.shape), 1e-6, 1 - 1e-6)
        assert np.all(dv.gan_value(p_data, p_g, d) <= c + 1e-12)
    # At p_g = p_data the discriminator is 1/2 everywhere and C(G) = -log 4.
    np.testing.assert_allclose(dv.optimal_discriminator(p_data, p_data), 0.5)
    np.testing.assert_allclose(
        dv.virtual_training_criterion(p_data, p_data), -np.log(4)
    )


def test_histograms_of_samples_estimate_the_jsd():
    rng = np.random.default_rng(4)
    a, b = rng.normal(0, 1, (20000, 2)), rng.normal(3, 1, (20000, 2))
    bounds = [(-6, 9), (-6, 9)]
    same = dv.js_divergence(
        dv.histogram(a, 20, bounds),
        dv.histogram(rng.normal(0, 1, (20000, 2)), 20, bounds),
    )
    apart = dv.js_divergence(dv.histogram(a, 20, bounds), dv.histogram(b, 20, bounds))
    assert same < 0.02 < 0.3 < apart < np.log(2)


@pytest.mark.parametrize(
    "p, q, message",
    [
        ([0.5, 0.5], [1.0], "same shape"),
        ([0.5, -0.5], [0.5, 0.5], "p must be finite and non-negative"),
        ([0.5, 0.5], [0.0, 0.0], "q has no mass"),
        ([0.5, np.nan], [0.5, 0.5], "finite"),
    ],
)
def test_bad_distributions_are_refused(p, q, message):
    with pytest.raises(ValueError, match=message):
        dv.js_divergence(p, q)
