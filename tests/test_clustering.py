"""Clustering metrics, k-means and the DeepClustering model."""

import keras
import numpy as np
import pytest

from keras_gen import DeepClustering, metrics
from keras_gen.evaluation import evaluate
from keras_gen.models.clustering import kmeans


def test_metrics_are_invariant_to_renaming_and_exact_on_known_cases():
    labels = np.array([0, 0, 1, 1, 2, 2])
    renamed = np.array([2, 2, 0, 0, 1, 1])
    assert metrics.clustering_accuracy(labels, renamed) == 1.0
    assert metrics.normalized_mutual_info(labels, renamed) == pytest.approx(1.0)
    assert metrics.adjusted_rand_index(labels, renamed) == pytest.approx(1.0)
    mixed = np.array([0, 1, 0, 1, 0, 1])
    assert metrics.clustering_accuracy(labels, mixed) == pytest.approx(
        2 / 6  # two clusters, each matched to one of its two labels
    )
    assert metrics.normalized_mutual_info(labels, mixed) == pytest.approx(
        0.0, abs=1e-12
    )
    assert metrics.adjusted_rand_index(labels, mixed) < 0
    with pytest.raises(ValueError, match="same length"):
        metrics.clustering_accuracy([0, 1], [0])


def test_kmeans_recovers_separated_blobs():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 10, (5, 3))
    truth = rng.integers(0, 5, 1000)
    points = centres[truth] + rng.normal(0, 0.3, (1000, 3))
    found, assign = kmeans(points, 5, n_init=3)
    assert metrics.clustering_accuracy(truth, assign) == 1.0
    assert found.shape == (5, 3)


def _inertia(points, centroids):
    return ((points[:, None] - centroids[None]) ** 2).sum(-1).min(1).sum()


def test_kmeans_restarts_leave_a_poor_warm_start():
    rng = np.random.default_rng(1)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    truth = rng.integers(0, 3, 600)
    points = centres[truth] + rng.normal(0, 0.5, (600, 2))
    # Two centroids inside one blob, one between the other two: a local optimum.
    poor = np.array([[-0.5, 0.0], [0.5, 0.0], [5.0, 5.0]])
    stuck, stuck_assign = kmeans(points, 3, n_init=0, init=poor)
    assert metrics.clustering_accuracy(truth, stuck_assign) < 0.8
    found, assign = kmeans(points, 3, n_init=3, init=poor)
    assert metrics.clustering_accuracy(truth, assign) == 1.0
    assert _inertia(points, found) < 0.5 * _inertia(points, stuck)


def test_dcn_centroid_update_with_restarts_never_raises_the_objective():
    model = DeepClustering(hidden_units=(16,), latent_dim=2, num_clusters=3, seed=0)
    x = np.random.default_rng(0).uniform(0, 1, (300, 28, 28, 1)).astype("float32")
    codes = model._all_codes(x)
    poor = np.repeat(codes.mean(0, keepdims=True), 3, 0) + [[0, 0], [1e-3, 0], [9, 9]]
    model.centroids.assign(poor.astype("float32"))
    model.update_centroids(x)  # DCN's incremental step from the poor start
    incremental = _inertia(codes, model.centroids.numpy())
    model.centroids.assign(poor.astype("float32"))
    assign = model.update_centroids(x, restarts=5)
    restarted = _inertia(codes, model.centroids.numpy())
    assert restarted <= incremental + 1e-6
    np.testing.assert_array_equal(assign, model.predict_clusters(x))


def test_dcn_alternation_tightens_clusters_on_mnist(mnist, mnist_test_arrays):
    from keras_gen import data

    train = data.load("mnist", "train[:5000]", 100, data_dir=mnist)
    model = DeepClustering(
        hidden_units=(256,),
        latent_dim=10,
        num_clusters=10,
        clustering_weight=1.0,
        seed=0,
    )
    model.compile(keras.optimizers.Adam(1e-3))
    model.fit_clusters(train, pretrain_epochs=3, rounds=0)
    xt, yt = mnist_test_arrays
    xt, yt = xt[:2000], yt[:2000]
    before = float(np.mean(model.compute_losses(xt)["cluster"]))
    acc_before = metrics.clustering_accuracy(yt, model.predict_clusters(xt))
    for _ in range(3):
        model.fit(train, epochs=1, verbose=0)
        model.update_centroids(train)
    after = float(np.mean(model.compute_losses(xt)["cluster"]))
    assert after < 0.7 * before
    acc = metrics.clustering_accuracy(yt, model.predict_clusters(xt))
    assert acc > 0.4 and acc_before > 0.4  # far above chance (0.1+)
    results = evaluate(
        model, data.load("mnist", "test[:500]", 250, data_dir=mnist, shuffle=False)
    )
    assert {"accuracy", "nmi", "ari", "cluster", "bce"} <= set(results)


def test_dcn_arguments_are_checked():
    with pytest.raises(ValueError, match="num_clusters must be an integer >= 2"):
        DeepClustering(num_clusters=1)
    with pytest.raises(ValueError, match="clustering_weight must be >= 0"):
        DeepClustering(clustering_weight=-1.0)
    with pytest.raises(ValueError, match="augment_shift must be >= 0, got -2"):
        DeepClustering(augment_shift=-2)
    with pytest.raises(ValueError, match="augment_rotation must be in"):
        DeepClustering(augment_rotation=270)
    with pytest.raises(ValueError, match=r"need images \(H, W, C\)"):
        DeepClustering(input_shape=(784,), augment_shift=2)


def test_dcn_augmentation_applies_only_in_training():
    model = DeepClustering(
        hidden_units=(16,), latent_dim=4, num_clusters=3, augment_shift=3, seed=0
    )
    x = np.random.default_rng(0).uniform(0, 1, (8, 28, 28, 1)).astype("float32")
    evaluation = model.compute_losses(x, training=False)["bce"]
    np.testing.assert_allclose(model.compute_losses(x)["bce"], evaluation)
    training = model.compute_losses(x, training=True)["bce"]
    assert not np.allclose(training, evaluation)  # the moved images reconstruct


def test_roc_auc_matches_pairwise_counting():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=300).round(1)  # rounding makes ties
    positive = rng.random(300) < 0.3
    pos, neg = scores[positive], scores[~positive]
    pairs = (pos[:, None] > neg[None, :]).mean() + 0.5 * (
        pos[:, None] == neg[None, :]
    ).mean()
    assert metrics.roc_auc(scores, positive) == pytest.approx(pairs)
    assert metrics.roc_auc([0.1, 0.9], [False, True]) == 1.0
    with pytest.raises(ValueError, match="at least one positive"):
        metrics.roc_auc([1.0, 2.0], [True, True])
