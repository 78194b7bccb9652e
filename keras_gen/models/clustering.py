"""Deep clustering: an autoencoder plus a k-means objective on its codes (DCN)."""

import warnings

import keras
import numpy as np
import tensorflow as tf
from keras import ops
from scipy.cluster import vq

from ..layers import SHIFT_ROTATE_NO_XLA, random_shift_rotate
from .autoencoder import Autoencoder
from .base import as_float32
from .shapes import positive_int


def kmeans(points, k, n_init=10, iterations=100, seed=0, init=None):
    """Lloyd's k-means with k-means++ seeding (scipy's `kmeans2`); the best of
    `n_init` runs.

    A run takes exactly `iterations` Lloyd steps (scipy has no convergence test;
    a converged run no longer moves); an empty cluster keeps its centroid.

    Args:
        points: `[N, D]` array.
        k: Number of clusters.
        n_init: Restarts; the run with the lowest inertia wins.
        iterations: Lloyd iterations per run.
        seed: Seed of the seeding.
        init: Optional `[k, D]` centroids to start one more run from.

    Returns:
        `(centroids [k, D], assignments [N])`, the assignments those of the last
        Lloyd step (to the centroids before their last move).
    """
    # Against the hand-written Lloyd loop this replaced (k-means++, early stop),
    # on dcn_mnist's codes of train[:10000], K=10, seeds 0-2, 10 restarts: the
    # same inertia (79210.966, 79869.139, 79210.966) and the same centroids (max
    # difference 0.0), also from the shipped centroids as warm start plus 10
    # restarts and for DCN's one-step update (79213.014); 2.2x slower (10.6 s
    # against 4.9 s, median of 3, loaded 2-core CPU): scipy always runs 100
    # iterations where the old loop stopped after 15-38.
    points = np.asarray(points, np.float64)
    if not np.all(np.isfinite(points)):
        raise ValueError("kmeans got NaN or infinite points.")
    rng = np.random.default_rng(seed)
    # Checked once above, not in each of scipy's iterations.
    options = dict(check_finite=False)
    runs = []
    with warnings.catch_warnings():
        # An empty cluster keeps its centroid, as DCN's update does; not news.
        warnings.filterwarnings("ignore", "One of the clusters is empty")
        for _ in range(n_init):
            runs.append(
                vq.kmeans2(points, k, iterations, minit="++", seed=rng, **options)
            )
        if init is not None:
            start = np.asarray(init, np.float64)
            runs.append(
                vq.kmeans2(points, start, iterations, minit="matrix", **options)
            )

    def inertia(run):
        return float(np.sum(vq.vq(points, run[0], check_finite=False)[1] ** 2))

    return min(runs, key=inertia)


@keras.saving.register_keras_serializable(package="keras_gen")
class DeepClustering(Autoencoder):
    """Autoencoder with a k-means objective on its codes (Yang et al. 2017, DCN).

    Minimizes (1/N) sum_i [ -log p(x_i | g(f(x_i))) + lambda ||f(x_i) - c(x_i)||^2 ],
    c(x) the nearest of K centroids, by alternating (1) network updates with `fit`
    (centroids fixed), (2) centroid updates and (3) reassignment; `fit_clusters`
    runs the whole schedule from pretraining through k-means on the codes.

    With `augment_shift` or `augment_rotation`, every training batch is moved by
    random translations and rotations before it is encoded (and reconstructed), so
    the codes of a digit and of its slightly moved copies coincide; k-means on such
    codes separates the classes far better (Guo et al. 2018). Evaluation and
    `predict_clusters` see the images as they are.

    Args:
        num_clusters: K.
        clustering_weight: lambda >= 0.
        augment_shift: Largest random translation in pixels during training.
        augment_rotation: Largest random rotation in degrees during training.
        **kwargs: `Autoencoder` arguments.

    Reference:
        Yang, Fu, Sidiropoulos, Hong, "Towards K-means-friendly spaces: simultaneous
        deep learning and clustering", ICML 2017. Guo, Zhu, Liu, Yin, "Deep
        embedded clustering with data augmentation", ACML 2018.
    """

    resumable = False  # fit_clusters runs fit once per round

    evaluations = ("reconstruction", "clusters")

    def __init__(
        self,
        num_clusters=10,
        clustering_weight=0.05,
        augment_shift=0.0,
        augment_rotation=0.0,
        **kwargs,
    ):
        if int(num_clusters) != num_clusters or num_clusters < 2:
            raise ValueError(
                f"num_clusters must be an integer >= 2, got {num_clusters!r}."
            )
        if not clustering_weight >= 0:
            raise ValueError(
                f"clustering_weight must be >= 0, got {clustering_weight!r}."
            )
        if not augment_shift >= 0:
            raise ValueError(f"augment_shift must be >= 0, got {augment_shift!r}.")
        if not 0 <= augment_rotation <= 180:
            raise ValueError(
                f"augment_rotation must be in [0, 180] degrees, got "
                f"{augment_rotation!r}."
            )
        super().__init__(**kwargs)
        if (augment_shift or augment_rotation) and len(self.data_shape) != 3:
            raise ValueError(
                "augment_shift and augment_rotation need images (H, W, C), got "
                f"input_shape {self.data_shape}."
            )
        self.num_clusters = positive_int(num_clusters, "num_clusters")
        self.clustering_weight = float(clustering_weight)
        self.augment_shift = float(augment_shift)
        self.augment_rotation = float(augment_rotation)
        self.centroids = self.add_weight(
            shape=(self.num_clusters, self.latent_dim),
            initializer="zeros",
            trainable=False,
            name="centroids",
        )
        # 0 until k-means has initialised the centroids (pretraining), then 1.
        self.clustering_on = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="clustering_on"
        )
        self._declare_metrics(["cluster"])

    def _distances(self, h):
        # In the centroids' dtype: float32 under a mixed policy (h may be float16).
        c = ops.convert_to_tensor(self.centroids)
        h = ops.cast(h, c.dtype)
        return (
            ops.sum(h**2, -1, keepdims=True)
            - 2 * ops.matmul(h, ops.transpose(c))
            + ops.sum(c**2, -1)
        )

    def compute_losses(self, x, y=None, training=False):
        x = ops.cast(x, self.compute_dtype)
        if training:
            x = random_shift_rotate(
                x, self.augment_shift, self.augment_rotation, self.seed_generator
            )
        h = self.encoder(x, training=training)
        terms = self.reconstruction_terms(self.decoder(h, training=training), x)
        cluster = as_float32(ops.maximum(ops.min(self._distances(h), axis=-1), 0.0))
        terms["cluster"] = cluster
        weight = self.clustering_weight * as_float32(self.clustering_on)
        terms["loss"] = terms["loss"] + weight * cluster
        return terms

    def _all_codes(self, x):
        if isinstance(x, tf.data.Dataset):
            return np.concatenate(
                [self.encode(b[0] if isinstance(b, tuple) else b).numpy() for b in x]
            )
        return np.concatenate(
            [self.encode(x[i : i + 1000]).numpy() for i in range(0, len(x), 1000)]
        )

    def init_clusters(self, x, n_init=10, seed=0):
        """Runs k-means on the codes of `x` and switches the clustering term on."""
        centroids, _ = kmeans(self._all_codes(x), self.num_clusters, n_init, seed=seed)
        self.centroids.assign(centroids.astype("float32"))
        self.clustering_on.assign(1.0)

    def update_centroids(self, x, restarts=0, seed=0):
        """Updates the centroids and assignments for the current codes of `x`.

        With the network fixed, the best centroids and assignments minimize the
        k-means objective on the codes. `restarts=0` takes DCN's step: reassign,
        then move each centroid to its members' mean. `restarts=R` also runs
        k-means from R fresh k-means++ seedings and from the current centroids,
        and keeps the lowest inertia, so the objective never rises and a poor
        early partition (two digits merged, one split) can still be left.

        Returns:
            The assignments of `x`.
        """
        # DCN's step is one Lloyd iteration from the current centroids.
        centroids, assign = kmeans(
            self._all_codes(x),
            self.num_clusters,
            n_init=restarts,
            iterations=100 if restarts else 1,
            seed=seed,
            init=self.centroids.numpy(),
        )
        self.centroids.assign(centroids.astype("float32"))
        return assign

    def predict_clusters_from_codes(self, codes):
        return np.asarray(ops.argmin(self._distances(ops.convert_to_tensor(codes)), -1))

    def predict_clusters(self, x):
        """Cluster id (nearest centroid of the code) of each input."""
        return self.predict_clusters_from_codes(self._all_codes(x))

    def fit_clusters(
        self,
        train,
        pretrain_epochs=20,
        rounds=10,
        epochs_per_round=1,
        restarts=0,
        verbose=0,
        callbacks=None,
    ):
        """Pretrains, runs k-means on the codes, then alternates the DCN updates.

        Args:
            train: Dataset of `x` or `(x, y)` batches (labels unused).
            pretrain_epochs: Autoencoder epochs before k-means (clustering off).
            rounds: Alternations of network epochs and centroid updates.
            epochs_per_round: Network epochs per round (centroids fixed).
            restarts: k-means restarts in each centroid update (see
                `update_centroids`); 0 is DCN's incremental update.
            verbose: Passed to `fit`.
            callbacks: Passed to `fit`.
        """
        self.clustering_on.assign(0.0)
        if pretrain_epochs:
            self.fit(
                train, epochs=pretrain_epochs, verbose=verbose, callbacks=callbacks
            )
        self.init_clusters(train)
        for round_ in range(rounds):
            self.fit(
                train, epochs=epochs_per_round, verbose=verbose, callbacks=callbacks
            )
            self.update_centroids(train, restarts=restarts, seed=round_)

    def fit_recipe(self, train, *, epochs, callbacks=(), verbose=2, recipe=None):
        """`fit_clusters` on the recipe's `clustering` schedule (without one,
        `epochs` of pretraining and `fit_clusters`' default rounds), then
        `fit_code_distribution` as an `Autoencoder` does."""
        schedule = (recipe or {}).get("clustering", {"pretrain_epochs": epochs})
        self.fit_clusters(train, verbose=verbose, callbacks=list(callbacks), **schedule)
        self.fit_code_distribution(train, max_batches=200)

    @property
    def jit_unsupported_reason(self):
        return (
            SHIFT_ROTATE_NO_XLA
            if (self.augment_shift or self.augment_rotation)
            else None
        )

    def get_config(self):
        return super().get_config() | {
            "num_clusters": self.num_clusters,
            "clustering_weight": self.clustering_weight,
            "augment_shift": self.augment_shift,
            "augment_rotation": self.augment_rotation,
        }
