"""Pure statistics (keras_gen.metrics) and the classifier extractors (features)."""

import numpy as np
import pytest
import scipy.linalg

from keras_gen import Classifier, features, metrics


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


# -- FID, Inception Score, class fractions --------------------------------------


def test_fid_of_a_feature_set_with_itself_is_zero():
    f = np.random.default_rng(0).normal(size=(500, 16))
    assert metrics.frechet_distance_from_features(f, f) == pytest.approx(0, abs=1e-6)


def test_fid_matches_the_closed_form_for_diagonal_gaussians():
    rng = np.random.default_rng(1)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    v1, v2 = rng.uniform(0.2, 3, 6), rng.uniform(0.2, 3, 6)
    expected = ((mu1 - mu2) ** 2).sum() + (v1 + v2 - 2 * np.sqrt(v1 * v2)).sum()
    fid = metrics.frechet_distance_from_statistics(mu1, np.diag(v1), mu2, np.diag(v2))
    assert fid == pytest.approx(expected, rel=1e-9)
    # From samples the estimate converges to the same value.
    f1 = mu1 + np.sqrt(v1) * rng.normal(size=(100_000, 6))
    f2 = mu2 + np.sqrt(v2) * rng.normal(size=(100_000, 6))
    assert metrics.frechet_distance_from_features(f1, f2) == pytest.approx(
        expected, rel=0.02
    )


def test_fid_grows_with_a_mean_shift():
    f = np.random.default_rng(2).normal(size=(2000, 8))
    fids = [metrics.frechet_distance_from_features(f, f + s) for s in (0.1, 0.5, 1, 2)]
    assert fids == sorted(fids) and fids[0] > 0
    # A pure shift s on all 8 axes changes only the mean term, by 8 s^2.
    np.testing.assert_allclose(fids, [8 * s**2 for s in (0.1, 0.5, 1, 2)], rtol=1e-6)


def test_fid_survives_fewer_examples_than_dimensions():
    rng = np.random.default_rng(3)
    f1, f2 = rng.normal(size=(5, 20)), rng.normal(size=(6, 20))
    fid = metrics.frechet_distance_from_features(f1, f2)
    # The closed form, computed here with scipy: |mu1 - mu2|^2 +
    # tr(S1 + S2 - 2 (S1 S2)^(1/2)), covariances of rank 4 and 5 in 20 dimensions.
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    root = scipy.linalg.sqrtm(s1 @ s2).real
    expected = np.sum((f1.mean(0) - f2.mean(0)) ** 2) + np.trace(s1 + s2 - 2 * root)
    assert fid == pytest.approx(expected, rel=1e-3)
    assert metrics.frechet_distance_from_features(f1, f1) == pytest.approx(0, abs=1e-3)


def test_fid_validation_names_expected_and_got():
    f = np.zeros((10, 3))
    with pytest.raises(ValueError, match="same feature dimension, got 3 and 4"):
        metrics.frechet_distance_from_features(f, np.zeros((10, 4)))
    with pytest.raises(ValueError, match=r"shape \(n >= 2, d\), got shape \(10,\)"):
        metrics.frechet_distance_from_features(np.zeros(10), f)
    with pytest.raises(ValueError, match=r"\(d, d\), got \(3,\) and \(2, 2\)"):
        metrics.frechet_distance_from_statistics(np.zeros(3), np.eye(2), np.zeros(3), 1)
    with pytest.raises(ValueError, match="finite"):
        metrics.frechet_distance_from_features(f, np.full((10, 3), np.nan))


def test_inception_score_of_confident_uniform_probs_is_the_class_count():
    probs = np.tile(np.eye(10), (20, 1))  # every split sees each class twice
    mean, std = metrics.inception_score_from_probs(probs, splits=10)
    assert mean == pytest.approx(10.0) and std == pytest.approx(0.0, abs=1e-12)
    assert metrics.inception_score_from_probs(np.eye(4), splits=1)[0] == 4.0


def test_inception_score_of_identical_probs_is_one():
    probs = np.tile([0.1, 0.6, 0.3], (50, 1))
    assert metrics.inception_score_from_probs(probs, 5) == pytest.approx((1.0, 0.0))


def test_inception_score_matches_a_hand_computation():
    probs = np.array([[1.0, 0.0], [0.5, 0.5]])
    marginal = np.array([0.75, 0.25])
    kl = [np.log(1 / 0.75), (0.5 * np.log(0.5 / marginal)).sum()]
    mean, _ = metrics.inception_score_from_probs(probs, splits=1)
    assert mean == pytest.approx(np.exp(np.mean(kl)))


def test_probability_validation_names_expected_and_got():
    with pytest.raises(ValueError, match="sum to 1, got 2 in row 1"):
        metrics.inception_score_from_probs([[0.5, 0.5], [1.0, 1.0]], 1)
    with pytest.raises(ValueError, match="not logits"):
        metrics.class_fractions_from_probs([[2.0, -1.0]])
    with pytest.raises(ValueError, match=r"got shape \(4,\)"):
        metrics.class_fractions_from_probs([0.25] * 4)
    with pytest.raises(ValueError, match=r"splits must be an integer in \[1, 2\]"):
        metrics.inception_score_from_probs(np.eye(2), splits=3)


def test_class_fractions_count_the_argmax():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.9, 0, 0.1]])
    np.testing.assert_allclose(
        metrics.class_fractions_from_probs(probs), [0.75, 0.25, 0]
    )


def test_extractors_use_the_given_classifier(tmp_path):
    clf = Classifier(filters=(4,), dense_units=8, seed=0)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (64, 28, 28, 1)).astype("float32")
    assert features.frechet_distance(x, reference=x, classifier=clf) < 1e-3
    shifted = np.clip(x * 0.3, 0, 1)
    assert features.frechet_distance(shifted, reference=x, classifier=clf) > 1e-3
    mean, std = features.inception_score(x, classifier=clf, splits=4)
    # The same score from the given classifier's probabilities, by numpy.
    probs = np.asarray(clf.predict_proba(x), "float64")
    scores = [
        np.exp(np.mean(np.sum(p * np.log(p / p.mean(0)), 1)))
        for p in np.split(probs, 4)
    ]
    assert mean == pytest.approx(np.mean(scores), rel=1e-4)
    assert std == pytest.approx(np.std(scores), rel=1e-3, abs=1e-6)
    fractions = features.class_fractions(x, classifier=clf)
    counts = np.bincount(probs.argmax(1), minlength=10)
    np.testing.assert_allclose(fractions, counts / 64)
    with pytest.raises(ValueError, match="pass reference images or"):
        features.frechet_distance(x, reference="mnist_test", classifier=clf)
    # Written statistics serve as a (mu, sigma) reference.
    path = features.write_reference_statistics(clf, tmp_path / "stats.npz", images=x)
    with np.load(path) as stats:
        reference = (stats["mu"], stats["sigma"])
        assert int(stats["examples"]) == 64
    assert features.frechet_distance(x, reference, classifier=clf) < 1e-3


def test_moved_extractors_stay_in_metrics_as_deprecated_aliases():
    for name in (
        "frechet_distance",
        "inception_score",
        "class_fractions",
        "load_classifier",
        "reference_statistics",
        "write_reference_statistics",
        "CLASSIFIER_PRESET",
        "REFERENCE_STATS_FILE",
    ):
        with pytest.warns(DeprecationWarning, match=f"keras_gen.features.{name}"):
            assert getattr(metrics, name) is getattr(features, name)
    with pytest.raises(AttributeError):
        metrics.no_such_statistic  # noqa: B018


# -- clustering and ROC-AUC ------------------------------------------------------


def test_clustering_scores_ignore_the_names_of_the_clusters():
    labels = np.array([0, 0, 1, 1, 2, 2])
    renamed = np.array([5, 5, 3, 3, 9, 9])
    assert metrics.clustering_accuracy(labels, renamed) == 1.0
    assert metrics.normalized_mutual_info(labels, renamed) == pytest.approx(1.0)
    assert metrics.adjusted_rand_index(labels, renamed) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same length"):
        metrics.clustering_accuracy(labels, renamed[:3])


def test_roc_auc_counts_ties_half():
    assert metrics.roc_auc([0.1, 0.9], [False, True]) == 1.0
    assert metrics.roc_auc([0.5, 0.5], [False, True]) == 0.5
    with pytest.raises(ValueError, match="one positive and one negative"):
        metrics.roc_auc([0.1, 0.2], [True, True])


def test_clustering_statistics_match_their_definitions_on_random_labels():
    # metrics wraps scikit-learn; these are computed from the definitions instead,
    # so a swapped argument or a wrong normalisation in the wrapper fails.
    from scipy.special import comb
    from scipy.stats import entropy

    rng = np.random.default_rng(0)
    for _ in range(30):
        n = int(rng.integers(2, 200))
        labels = rng.integers(0, int(rng.integers(2, 11)), n)
        clusters = rng.integers(0, int(rng.integers(2, 11)), n)
        joint = np.zeros((labels.max() + 1, clusters.max() + 1))
        np.add.at(joint, (labels, clusters), 1)
        joint = joint[joint.sum(1) > 0][:, joint.sum(0) > 0]
        h_y, h_c = entropy(joint.sum(1)), entropy(joint.sum(0))
        mi = h_y + h_c - entropy(joint.ravel())
        if h_y + h_c > 0:
            assert metrics.normalized_mutual_info(labels, clusters) == pytest.approx(
                mi / ((h_y + h_c) / 2), abs=1e-10
            )
        # ARI from the pairs of examples put together by both, by one, by neither.
        same_y = labels[:, None] == labels[None, :]
        same_c = clusters[:, None] == clusters[None, :]
        upper = np.triu(np.ones((n, n), bool), 1)
        index = (same_y & same_c & upper).sum()
        a, b = (same_y & upper).sum(), (same_c & upper).sum()
        expected = a * b / comb(n, 2)
        if (a + b) / 2 != expected:
            assert metrics.adjusted_rand_index(labels, clusters) == pytest.approx(
                (index - expected) / ((a + b) / 2 - expected), abs=1e-10
            )


def test_mmd_and_median_bandwidth_match_their_definitions():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(7, 3)), rng.normal(0.5, 1.0, size=(5, 3))
    h = 0.8

    def k(u, v):
        return np.exp(-np.sum((u - v) ** 2) / (2 * h**2))

    within_a = np.mean([k(a[i], a[j]) for i in range(7) for j in range(7) if i != j])
    within_b = np.mean([k(b[i], b[j]) for i in range(5) for j in range(5) if i != j])
    across = np.mean([k(u, v) for u in a for v in b])
    assert metrics.mmd_squared(a, b, h) == pytest.approx(
        within_a + within_b - 2 * across, rel=1e-12
    )
    pooled = np.concatenate([a, b])
    pairs = [np.linalg.norm(pooled[i] - pooled[j]) for i in range(12) for j in range(i)]
    assert metrics.median_bandwidth(a, b) == pytest.approx(np.median(pairs))
    assert metrics.median_bandwidth(a, b, max_points=4) == pytest.approx(
        np.median([np.linalg.norm(a[i] - a[j]) for i in range(4) for j in range(i)])
    )
    with pytest.raises(ValueError, match=r"\[n, d\] and \[m, d\]"):
        metrics.mmd_squared(a, b[:, :2], h)
