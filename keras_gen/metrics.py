"""Pure statistics on arrays: clustering, ROC-AUC, Parzen windows, FID and IS.

Clustering metrics compare predicted cluster ids with true labels; all three are
invariant to renaming the clusters. Sample-quality metrics (Frechet distance,
Inception Score, class fractions) come as `*_from_statistics`/`*_from_features`/
`*_from_probs` functions on arrays; the extractors that compute those with a domain
classifier (the pretrained `mnist_classifier`) live in `keras_gen.features`.
"""

import importlib
import warnings

import numpy as np
import tensorflow as tf
from scipy import linalg, special
from scipy.optimize import linear_sum_assignment
from scipy.spatial import distance

# The clustering and ROC statistics are scikit-learn's (`sklearn.metrics`); these
# wrappers add the checks and messages the library gives everywhere else. sklearn is
# imported on first use: importing it costs about a second that most users never need.


def _cluster_pair(labels, clusters):
    labels = np.asarray(labels).astype(np.int64).ravel()
    clusters = np.asarray(clusters).astype(np.int64).ravel()
    if labels.shape != clusters.shape:
        raise ValueError(
            f"labels and clusters must have the same length, got {labels.shape} and "
            f"{clusters.shape}."
        )
    return labels, clusters


def clustering_accuracy(labels, clusters):
    """Accuracy under the best one-to-one map of clusters to labels (Hungarian).

    Example:
        >>> clustering_accuracy([0, 0, 1, 1], [1, 1, 0, 0])
        1.0
    """
    from sklearn.metrics.cluster import contingency_matrix

    table = contingency_matrix(*_cluster_pair(labels, clusters))
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / table.sum())


def normalized_mutual_info(labels, clusters):
    """NMI with the arithmetic-mean normalisation: I(Y; C) / ((H(Y) + H(C)) / 2).

    `sklearn.metrics.normalized_mutual_info_score` (its default normalisation).
    """
    from sklearn.metrics import normalized_mutual_info_score

    return float(normalized_mutual_info_score(*_cluster_pair(labels, clusters)))


def adjusted_rand_index(labels, clusters):
    """Rand index adjusted for chance (Hubert and Arabie 1985).

    `sklearn.metrics.adjusted_rand_score`.
    """
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(*_cluster_pair(labels, clusters)))


def roc_auc(scores, positive):
    """Area under the ROC curve of `scores` for the boolean `positive` labels.

    The probability that a random positive scores above a random negative (ties
    count half): `sklearn.metrics.roc_auc_score`.
    """
    from sklearn.metrics import roc_auc_score

    scores = np.asarray(scores, np.float64).ravel()
    positive = np.asarray(positive, bool).ravel()
    if scores.shape != positive.shape:
        raise ValueError(
            f"scores and positive must match, got {scores.shape} and {positive.shape}."
        )
    if positive.all() or not positive.any():
        raise ValueError(
            "roc_auc needs at least one positive and one negative, got "
            f"{int(positive.sum())} positives of {positive.size}."
        )
    return float(roc_auc_score(positive, scores))


# -- Parzen window log-likelihood (Goodfellow et al. 2014, Table 1) ----------------


def parzen_log_likelihood(samples, x, sigma, batch_size=500):
    """Per-example log-density of `x` under a Gaussian Parzen window on `samples`.

    log p(x) = logmeanexp_i(-||x - s_i||^2 / (2 sigma^2)) - d log(sigma sqrt(2 pi)),
    the estimate the GAN paper reports on MNIST (10,000 generator samples as
    kernel centres; sigma chosen on a validation split, see `select_parzen_sigma`).
    Noisy in 784 dimensions (Theis et al. 2016): report sigma with it.

    Args:
        samples: `[N, ...]` kernel centres (generated examples).
        x: `[M, ...]` examples to score, same trailing shape.
        sigma: Kernel width > 0.
        batch_size: Examples of `x` scored at a time.

    Returns:
        `[M]` float64 log-likelihoods in nats.
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma!r}.")
    samples = np.asarray(samples, np.float32).reshape(len(samples), -1)
    x = np.asarray(x, np.float32)
    x = x.reshape(len(x), -1)
    if samples.shape[1] != x.shape[1]:
        raise ValueError(
            f"samples and x must have the same size per example, got "
            f"{samples.shape[1]} and {x.shape[1]}."
        )
    # Not sklearn's KernelDensity: measured on 2,000 uniform 784-D centres, 500
    # points, sigma 0.2, it took 1.75 s against 0.22 s here, and on 50 points it was
    # off by up to 1,457 nats from scipy's logsumexp over cdist (ours: 1e-5).
    centres = tf.constant(samples, tf.float64)
    centre_sq = tf.reduce_sum(centres**2, 1)
    d = x.shape[1]
    out = []
    for i in range(0, len(x), batch_size):
        batch = tf.constant(x[i : i + batch_size], tf.float64)
        sq = (
            tf.reduce_sum(batch**2, 1, keepdims=True)
            - 2 * tf.matmul(batch, centres, transpose_b=True)
            + centre_sq
        )
        log_kernel = -tf.maximum(sq, 0.0) / (2 * sigma**2)
        lme = tf.reduce_logsumexp(log_kernel, 1) - np.log(len(samples))
        out.append((lme - d * np.log(sigma * np.sqrt(2 * np.pi))).numpy())
    return np.concatenate(out)


def select_parzen_sigma(samples, x_val, sigmas=None):
    """The sigma of `sigmas` (default 10 values in logspace(-1, 0)) with the highest
    mean validation log-likelihood; returns `(sigma, {sigma: mean})`."""
    sigmas = np.logspace(-1, 0, 10) if sigmas is None else np.asarray(sigmas, float)
    scores = {
        float(s): float(parzen_log_likelihood(samples, x_val, s).mean()) for s in sigmas
    }
    return max(scores, key=scores.get), scores


# -- sample quality from features and class probabilities: FID, IS, fractions --


def _statistics(mu, sigma, name):
    mu = np.asarray(mu, np.float64)
    sigma = np.asarray(sigma, np.float64)
    if mu.ndim != 1 or sigma.shape != (mu.size, mu.size):
        raise ValueError(
            f"{name}: expected a mean of shape (d,) and a covariance of shape (d, d), "
            f"got {mu.shape} and {sigma.shape}."
        )
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(sigma))):
        raise ValueError(f"{name}: expected finite statistics, got NaN or inf.")
    return mu, sigma


def frechet_distance_from_statistics(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """Frechet distance between the Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    d^2 = ||mu1 - mu2||^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)).

    The matrix square root is `scipy.linalg.sqrtm`. When the product is near
    singular (fewer examples than feature dimensions) and the root comes out
    non-finite or inaccurate, `eps` is added to both diagonals; round-off leaves
    a small imaginary part, which is dropped.

    Args:
        mu1: Mean `(d,)` of the first set.
        sigma1: Covariance `(d, d)` of the first set.
        mu2: Mean `(d,)` of the second set.
        sigma2: Covariance `(d, d)` of the second set.
        eps: Diagonal offset used when the product is near singular.

    Returns:
        The squared distance as a float >= 0 (in feature units squared).

    Example:
        >>> frechet_distance_from_statistics(np.zeros(2), np.eye(2), np.ones(2),
        ...                                  np.eye(2))
        2.0

    Reference:
        Dowson & Landau, "The Frechet distance between multivariate normal
        distributions", J. Multivariate Analysis 1982; Heusel et al., "GANs trained
        by a two time-scale update rule converge to a local Nash equilibrium",
        NeurIPS 2017 (FID).
    """
    mu1, sigma1 = _statistics(mu1, sigma1, "frechet_distance (first set)")
    mu2, sigma2 = _statistics(mu2, sigma2, "frechet_distance (second set)")
    if mu1.size != mu2.size:
        raise ValueError(
            f"frechet_distance: both sets need the same feature dimension, got "
            f"{mu1.size} and {mu2.size}."
        )
    product = sigma1 @ sigma2
    with warnings.catch_warnings():
        # A singular product is handled below, by the offset.
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(product)
    error = np.linalg.norm(root @ root - product) / max(np.linalg.norm(product), 1e-30)
    if not np.all(np.isfinite(root)) or error > 1e-3:
        # A singular product has no stable root: move it off zero.
        offset = eps * np.eye(mu1.size)
        root = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(root):
        imaginary = np.max(np.abs(np.diagonal(root).imag))
        if imaginary > 1e-3 * max(1.0, np.max(np.abs(np.diagonal(root).real))):
            raise ValueError(
                f"frechet_distance: the matrix square root has an imaginary part of "
                f"{imaginary:.3g}; expected round-off only. Are both covariances "
                "positive semi-definite?"
            )
        root = root.real
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(root)
    # Identical sets give a round-off value a hair below zero.
    return float(max(value, 0.0))


def _features(f, name):
    f = np.asarray(f, np.float64)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(
            f"{name}: expected features of shape (n >= 2, d), got shape {f.shape}."
        )
    if not np.all(np.isfinite(f)):
        raise ValueError(f"{name}: expected finite features, got NaN or inf.")
    return f


def feature_statistics(features):
    """Mean `(d,)` and covariance `(d, d)` (float64, unbiased) of `[n, d]` features."""
    f = _features(features, "feature_statistics")
    return f.mean(0), np.cov(f, rowvar=False).reshape(f.shape[1], f.shape[1])


def frechet_distance_from_features(f1, f2, eps=1e-6):
    """Frechet distance between Gaussians fitted to two feature sets `[n, d]`.

    Args:
        f1: Features of the first set, `[n1, d]`.
        f2: Features of the second set, `[n2, d]`.
        eps: See `frechet_distance_from_statistics`.

    Returns:
        The squared distance as a float. It is biased upwards for small n (use
        the same n when comparing models; 10,000 is customary).
    """
    f1 = _features(f1, "frechet_distance_from_features (f1)")
    f2 = _features(f2, "frechet_distance_from_features (f2)")
    if f1.shape[1] != f2.shape[1]:
        raise ValueError(
            f"frechet_distance_from_features: f1 and f2 need the same feature "
            f"dimension, got {f1.shape[1]} and {f2.shape[1]}."
        )
    return frechet_distance_from_statistics(
        *feature_statistics(f1), *feature_statistics(f2), eps=eps
    )


def _probabilities(probs, name, atol=1e-3):
    p = np.asarray(probs, np.float64)
    if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 2:
        raise ValueError(
            f"{name}: expected class probabilities of shape (n >= 1, classes >= 2), "
            f"got shape {p.shape}."
        )
    if not np.all(np.isfinite(p)) or p.min() < 0:
        raise ValueError(
            f"{name}: expected probabilities >= 0, got values down to {np.min(p)!r} "
            "(pass probabilities, not logits)."
        )
    sums = p.sum(1)
    worst = int(np.argmax(np.abs(sums - 1)))
    if abs(sums[worst] - 1) > atol:
        raise ValueError(
            f"{name}: expected each row to sum to 1, got {sums[worst]:.6g} in row "
            f"{worst} (pass probabilities, not logits)."
        )
    return p


def inception_score_from_probs(probs, splits=10):
    """Inception Score exp(E_x KL(p(y|x) || p(y))) of class probabilities.

    The examples are cut into `splits` consecutive parts; each part's score uses
    its own marginal p(y). It ranges from 1 (every example gets the same
    distribution) to the number of classes K (confident, classes used equally).

    Args:
        probs: `[n, K]` class probabilities, rows summing to 1.
        splits: Number of parts, 1 <= splits <= n.

    Returns:
        `(mean, std)` of the per-part scores.

    Example:
        >>> inception_score_from_probs(np.eye(10), splits=1)
        (10.0, 0.0)

    Reference:
        Salimans et al., "Improved techniques for training GANs", NeurIPS 2016.
    """
    p = _probabilities(probs, "inception_score_from_probs")
    if (
        isinstance(splits, bool)
        or not isinstance(splits, int | np.integer)
        or not 1 <= splits <= len(p)
    ):
        raise ValueError(
            f"inception_score_from_probs: splits must be an integer in [1, {len(p)}] "
            f"(the number of examples), got {splits!r}."
        )
    scores = []
    for part in np.array_split(p, int(splits)):
        # rel_entr takes 0 log 0 = 0: classes with no mass add nothing.
        kl = special.rel_entr(part, part.mean(0, keepdims=True)).sum(1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def class_fractions_from_probs(probs):
    """Fraction of examples whose most probable class is each class, `[K]`.

    A generator that covers the classes as the data does gives about 1/K each
    on MNIST; a collapsed one puts most of the mass on few classes.
    """
    p = _probabilities(probs, "class_fractions_from_probs")
    return np.bincount(p.argmax(1), minlength=p.shape[1]) / len(p)


def median_bandwidth(a, b, max_points=2000):
    """The median heuristic: the median distance between points of `a` and `b`
    pooled (at most `max_points` of them), a Gaussian kernel's usual width."""
    pooled = np.concatenate([a, b])[:max_points].astype("float64")
    return float(np.median(distance.pdist(pooled)))


def mmd_squared(a, b, bandwidth):
    """Unbiased squared maximum mean discrepancy of samples `a` `[n, d]` and `b`
    `[m, d]` under the Gaussian kernel exp(-|u - v|^2 / (2 bandwidth^2))
    (Gretton et al. 2012, eq. 3); near 0 (either sign) when both come from the
    same distribution."""
    a, b = np.asarray(a, "float64"), np.asarray(b, "float64")
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(
            f"mmd_squared expects [n, d] and [m, d] samples, got {a.shape} and "
            f"{b.shape}."
        )
    if len(a) < 2 or len(b) < 2 or not bandwidth > 0:
        raise ValueError("mmd_squared needs 2+ points in each and a bandwidth > 0.")

    def kernel(u, v):
        return np.exp(-distance.cdist(u, v, "sqeuclidean") / (2 * bandwidth**2))

    kaa, kbb, kab = kernel(a, a), kernel(b, b), kernel(a, b)
    n, m = len(a), len(b)
    within_a = (kaa.sum() - np.trace(kaa)) / (n * (n - 1))
    within_b = (kbb.sum() - np.trace(kbb)) / (m * (m - 1))
    return float(within_a + within_b - 2 * kab.mean())


# Names that moved to `keras_gen.features` (they load a classifier), kept for one
# release.
_MOVED_TO_FEATURES = (
    "CLASSIFIER_PRESET",
    "REFERENCE_STATS_FILE",
    "class_fractions",
    "frechet_distance",
    "inception_score",
    "load_classifier",
    "reference_statistics",
    "write_reference_statistics",
)


def __getattr__(name):
    if name not in _MOVED_TO_FEATURES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"keras_gen.metrics.{name} is deprecated; use keras_gen.features.{name}.",
        DeprecationWarning,
        stacklevel=2,
    )
    # Deprecated alias: features imports this module, so it is imported late.
    return getattr(importlib.import_module("keras_gen.features"), name)


def __dir__():
    return sorted(list(globals()) + list(_MOVED_TO_FEATURES))
