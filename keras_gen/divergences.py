"""Divergences and the GAN value function for distributions given as arrays.

Distributions are non-negative arrays over the last axis: probabilities of a discrete
variable, or density values on a uniform grid (the grid spacing cancels when they
are normalized, which every function here does first). Samples are turned into such
arrays by `histogram`.

The Jensen-Shannon divergence is 1/2 KL(P || M) + 1/2 KL(Q || M) with M = (P + Q) / 2,
not the average of KL(P || Q) and KL(Q || P) (`symmetric_kl`, which some course notes
call JSD): only the former is bounded by log 2 and appears in the GAN identity
C(G) = -log 4 + 2 JSD(p_data || p_g) of Goodfellow et al. 2014, Theorem 1.
"""

import numpy as np
from scipy import special


def _distributions(p, q):
    p = np.asarray(p, np.float64)
    q = np.asarray(q, np.float64)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape}, {q.shape}.")
    if p.ndim == 0 or p.shape[-1] == 0:
        raise ValueError(f"expected distributions over the last axis, got {p.shape}.")
    for name, a in (("p", p), ("q", q)):
        if not np.all(np.isfinite(a)) or np.any(a < 0):
            raise ValueError(f"{name} must be finite and non-negative.")
        if np.any(a.sum(-1) == 0):
            raise ValueError(f"{name} has no mass (all zeros).")
    return p / p.sum(-1, keepdims=True), q / q.sum(-1, keepdims=True)


def _kl(p, q):
    # scipy's rel_entr: 0 log(0 / q) = 0, and p log(p / 0) = inf for p > 0.
    return special.rel_entr(p, q).sum(-1)


def kl_divergence(p, q):
    """KL(P || Q) = sum_i p_i log(p_i / q_i), in nats; inf where q = 0 < p.

    Args:
        p: Probabilities or grid densities over the last axis (normalized here).
        q: Same shape as `p`.

    Returns:
        A float, or an array over the leading axes.

    Example:
        >>> kl_divergence([0.5, 0.5], [0.9, 0.1])
        0.5108...
    """
    return _kl(*_distributions(p, q))


def js_divergence(p, q):
    """JSD(P || Q) = 1/2 KL(P || M) + 1/2 KL(Q || M), M = (P + Q) / 2, in nats.

    Symmetric, zero iff P = Q, at most log 2 (reached for disjoint supports).
    """
    p, q = _distributions(p, q)
    m = (p + q) / 2
    return 0.5 * _kl(p, m) + 0.5 * _kl(q, m)


def symmetric_kl(p, q):
    """(KL(P || Q) + KL(Q || P)) / 2: symmetric, but unbounded, and not the JSD."""
    p, q = _distributions(p, q)
    return 0.5 * (_kl(p, q) + _kl(q, p))


def optimal_discriminator(p_data, p_g):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) (Goodfellow et al. 2014, Prop. 1).

    Where both densities are zero D* is arbitrary; 1/2 is returned there.
    """
    p_data, p_g = _distributions(p_data, p_g)
    total = p_data + p_g
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, p_data / total, 0.5)


def gan_value(p_data, p_g, d):
    """V(D, G) = E_{p_data}[log D(x)] + E_{p_g}[log(1 - D(x))] on a discrete space.

    Args:
        p_data: Data distribution over the last axis.
        p_g: Generator distribution, same shape.
        d: Discriminator outputs D(x) in [0, 1] at the same points.
    """
    p_data, p_g = _distributions(p_data, p_g)
    d = np.asarray(d, np.float64)
    if d.shape != p_data.shape or np.any((d < 0) | (d > 1)):
        raise ValueError(
            f"d must hold values in [0, 1] of shape {p_data.shape}, got shape "
            f"{d.shape}."
        )
    # xlogy / xlog1py give 0 where the probability is 0, whatever D is there.
    return (special.xlogy(p_data, d) + special.xlog1py(p_g, -d)).sum(-1)


def virtual_training_criterion(p_data, p_g):
    """C(G) = max_D V(D, G) = V(D*, G); equals -log 4 + 2 JSD(p_data || p_g).

    Computed as sum p_data log(p_data / s) + p_g log(p_g / s), s = p_data + p_g,
    rather than through D*: where p_g is tiny beside p_data, 1 - D* rounds to 0 and
    V(D*, G) would be -inf (found by tests/test_properties.py with p_g = 2e-309).
    """
    p_data, p_g = _distributions(p_data, p_g)
    total = p_data + p_g
    return _kl(p_data, total) + _kl(p_g, total)


def histogram(samples, bins=32, bounds=None, smoothing=0.0):
    """A normalized histogram of `[N, D]` samples on a regular grid.

    Args:
        samples: `[N]` or `[N, D]` array.
        bins: Bins per dimension.
        bounds: `[(low, high)] * D`; pass the same bounds for both sample sets
            being compared, so their grids match.
        smoothing: Pseudo-count added to every bin (keeps KL finite).

    Returns:
        A flat array of bin probabilities.
    """
    samples = np.asarray(samples, np.float64)
    samples = samples[:, None] if samples.ndim == 1 else samples
    if samples.ndim != 2 or len(samples) == 0:
        raise ValueError(f"expected samples of shape [N, D], got {samples.shape}.")
    counts, _ = np.histogramdd(samples, bins=bins, range=bounds)
    counts = counts.ravel() + smoothing
    return counts / counts.sum()
