"""Evaluation metrics kept apart from models: clustering, ROC-AUC, Parzen windows.

Clustering metrics compare predicted cluster ids with true labels; all three are
invariant to renaming the clusters.
"""

import numpy as np
from scipy.optimize import linear_sum_assignment


def _contingency(labels, clusters):
    labels = np.asarray(labels).astype(np.int64).ravel()
    clusters = np.asarray(clusters).astype(np.int64).ravel()
    if labels.shape != clusters.shape:
        raise ValueError(
            f"labels and clusters must have the same length, got {labels.shape} and "
            f"{clusters.shape}."
        )
    _, li = np.unique(labels, return_inverse=True)
    _, ci = np.unique(clusters, return_inverse=True)
    table = np.zeros((li.max() + 1, ci.max() + 1), np.int64)
    np.add.at(table, (li, ci), 1)
    return table


def clustering_accuracy(labels, clusters):
    """Accuracy under the best one-to-one map of clusters to labels (Hungarian).

    Example:
        >>> clustering_accuracy([0, 0, 1, 1], [1, 1, 0, 0])
        1.0
    """
    table = _contingency(labels, clusters)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / table.sum())


def _entropy(counts):
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def normalized_mutual_info(labels, clusters):
    """NMI with the arithmetic-mean normalisation: I(Y; C) / ((H(Y) + H(C)) / 2)."""
    table = _contingency(labels, clusters).astype(np.float64)
    n = table.sum()
    joint = table / n
    outer = np.outer(joint.sum(1), joint.sum(0))
    nz = joint > 0
    mi = float((joint[nz] * np.log(joint[nz] / outer[nz])).sum())
    h = (_entropy(table.sum(1)) + _entropy(table.sum(0))) / 2
    return mi / h if h > 0 else 1.0


def adjusted_rand_index(labels, clusters):
    """Rand index adjusted for chance (Hubert and Arabie 1985)."""
    table = _contingency(labels, clusters).astype(np.float64)

    def pairs(v):
        return (v * (v - 1) / 2).sum()

    n = table.sum()
    index = pairs(table)
    a, b = pairs(table.sum(1)), pairs(table.sum(0))
    expected = a * b / (n * (n - 1) / 2)
    maximum = (a + b) / 2
    return (
        float((index - expected) / (maximum - expected)) if maximum != expected else 1.0
    )


def roc_auc(scores, positive):
    """Area under the ROC curve of `scores` for the boolean `positive` labels.

    The probability that a random positive scores above a random negative (ties
    count half), computed from ranks.
    """
    scores = np.asarray(scores, np.float64).ravel()
    positive = np.asarray(positive, bool).ravel()
    if scores.shape != positive.shape:
        raise ValueError(
            f"scores and positive must match, got {scores.shape} and {positive.shape}."
        )
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("roc_auc needs at least one positive and one negative.")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # Average ranks over ties.
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


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
    import tensorflow as tf

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
