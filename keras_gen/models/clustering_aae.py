"""The unsupervised clustering adversarial autoencoder (Makhzani et al. 2015,
section 6): the semi-supervised model of `ssaae.py` with no labels, its
categorical code a cluster."""

import keras
import numpy as np

from .ssaae import SemiSupervisedAAE


@keras.saving.register_keras_serializable(package="keras_gen")
class ClusteringAAE(SemiSupervisedAAE):
    """Unsupervised clustering adversarial autoencoder (section 6): the
    semi-supervised model with no labels and `num_classes` clusters.

    `fit` takes `x` batches (labels in `(x, y)` batches are ignored); no
    `ss_optimizer`. `predict_clusters(x)` is argmax q(y|x). The paper scores a
    clustering by naming each cluster after the class of its most probable
    training example: `name_clusters(x, y)` does that (it stores the names in the
    model) and `predict_classes(x)` then gives named clusters.
    """

    optimizer_names = ("ae_optimizer", "d_optimizer", "g_optimizer")
    optimizer_networks = {
        k: v
        for k, v in SemiSupervisedAAE.optimizer_networks.items()
        if k != "ss_optimizer"
    }
    takes_labels = False
    accepts_unlabelled = False
    needs_labelled_examples = False
    supervised = False
    evaluations = ("clusters", "named_clusters")

    def __init__(self, input_shape=(28, 28, 1), num_classes=16, latent_dim=10, **kw):
        super().__init__(input_shape, num_classes, latent_dim, **kw)
        self.cluster_names = self.add_weight(
            shape=(self.num_classes,),
            initializer=keras.initializers.Constant(-1),
            dtype="int32",
            trainable=False,
            name="cluster_names",
        )

    def predict_clusters(self, x, batch_size=1000):
        """argmax q(y|x): a cluster id per example."""
        return SemiSupervisedAAE.predict_classes(self, x, batch_size)

    def name_clusters(self, x, labels, batch_size=1000):
        """Names cluster k after the label of the example with the largest
        q(y=k|x) (Makhzani et al.'s rule); returns the names `[num_classes]`."""
        x, labels = np.asarray(x), np.asarray(labels)
        probs = np.concatenate(
            [
                np.asarray(self.classify(x[i : i + batch_size]))
                for i in range(0, len(x), batch_size)
            ]
        )
        names = labels[np.argmax(probs, axis=0)].astype("int32")
        self.cluster_names.assign(names)
        return names

    def predict_classes(self, x, batch_size=1000):
        """The name of each example's cluster (after `name_clusters`)."""
        names = self.cluster_names.numpy()
        if np.any(names < 0):
            raise ValueError(
                "ClusteringAAE.predict_classes needs named clusters: call "
                "name_clusters(x_train, y_train) first."
            )
        return names[self.predict_clusters(x, batch_size)]

    def fit_recipe(self, train, *, epochs, callbacks=(), verbose=2, recipe=None):
        """`fit`, then the clusters named on the training data (with its labels,
        which the training itself never saw)."""
        history = self.fit(
            train.map(lambda x, y: x),
            epochs=epochs,
            callbacks=list(callbacks),
            verbose=verbose,
        )
        xs, ys = zip(*[(b[0].numpy(), b[1].numpy()) for b in train], strict=True)
        self.name_clusters(np.concatenate(xs), np.concatenate(ys))
        return history
