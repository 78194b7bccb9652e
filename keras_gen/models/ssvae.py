"""`SemiSupervisedVAE`: Kingma et al.'s M2, alone or stacked on a VAE (M1 + M2)."""

import math

import keras
import numpy as np
from keras import ops

from ..data import UNLABELLED
from . import networks
from .base import GenerativeModel
from .cvae import CVAE
from .vae import VAE


@keras.saving.register_keras_serializable(package="keras_gen")
class SemiSupervisedVAE(GenerativeModel):
    """M2: a generative model p(y) p(z) p(x|y, z) with inference q(y|x) q(z|x, y).

    Trained on `(x, y)` batches where `y = -1` marks an unlabelled example (see
    `keras_gen.data.load_semi_supervised`). Per example, nats:

    - labelled: L(x, y) + alpha * (-log q(y|x)), with
      L(x, y) = -log p(x|y, z) + KL(q(z|x, y) || p(z)) - log p(y), z ~ q(z|x, y);
    - unlabelled: U(x) = sum_y q(y|x) L(x, y) - H(q(y|x)).

    With `m1` (a trained `VAE`), M2 models M1's codes instead of pixels: the
    features are z1 ~ q(z1|x) in training and the posterior mean otherwise, with a
    Gaussian likelihood (M1 + M2). M1 stays frozen. Tracked metrics: `loss`, and
    `cross_entropy` and `accuracy` of q(y|x) on the labelled examples of a batch.

    Args:
        input_shape: Shape of one example.
        latent_dim: Size of z of the default `generative`.
        num_classes: Labels are integers in `[0, num_classes)`; -1 is unlabelled.
        hidden_units: Hidden widths of q(z|x, y) and (mirrored) p(x|y, z).
        classifier_units: Hidden widths of q(y|x).
        activation: Hidden activation.
        likelihood: Of p(x|y, z) when there is no `m1` (`"bernoulli"`, ...).
        alpha: Weight of the classification term of a labelled example.
        m1: `None`, or a `VAE` (or its serialized config) whose codes M2 models;
            the config holds it serialized. A preset name such as `"vae_mnist"`
            is resolved by `keras_gen.zoo.create_model` (the
            `m2_mnist_100labels` preset does).
        generative: Optional `CVAE` holding q(z|x, y) and p(x|y, z); the config
            then holds it serialized instead of the arguments that shape the
            default one (`network_arguments`).
        classifier: Optional `keras.Model` from features to class logits.
        seed: Seed of the model's random stream.
        **kwargs: Passed to `keras.Model`.

    Example:
        >>> m1 = keras_gen.zoo.create_model("vae_mnist", pretrained=True)
        >>> m2 = keras_gen.SemiSupervisedVAE(m1=m1)
        >>> m2.compile(keras.optimizers.Adam(1e-3))
        >>> m2.fit(keras_gen.data.load_semi_supervised("mnist", "train", 100,
        ...     labelled_per_class=10, binarize="dynamic"), epochs=50)
        >>> m2.classify(x_test).argmax(-1)

    Reference:
        Kingma, Rezende, Mohamed & Welling, "Semi-supervised learning with deep
        generative models", NeurIPS 2014.
    """

    # m1 is always given (never built here), so it is serialized whenever set.
    sub_models = ("m1", "generative", "classifier")
    network_arguments = {
        "generative": ("latent_dim", "hidden_units", "activation", "likelihood"),
        "classifier": ("classifier_units", "activation"),
    }
    takes_labels = True
    accepts_unlabelled = True
    # Measured on its classification of labelled test data (keras_gen.evaluation).
    evaluations = ("classes",)

    def __init__(
        self,
        input_shape=(28, 28, 1),
        latent_dim=50,
        num_classes=10,
        hidden_units=(500,),
        classifier_units=(500,),
        activation="softplus",
        likelihood="bernoulli",
        alpha=1.0,
        m1=None,
        generative=None,
        classifier=None,
        seed=None,
        **kwargs,
    ):
        if not alpha >= 0:
            raise ValueError(f"alpha must be >= 0, got {alpha!r}.")
        if isinstance(m1, str):
            # The registry, not the model, turns a preset name into a network.
            raise TypeError(
                f"m1 must be a VAE or its serialized config, got the preset name "
                f"{m1!r}: pass keras_gen.zoo.create_model({m1!r}, pretrained=True)."
            )
        if isinstance(m1, dict):
            m1 = keras.saving.deserialize_keras_object(m1)
        if m1 is not None and not isinstance(m1, VAE):
            raise TypeError(f"m1 must be a VAE, got {type(m1).__name__}.")
        if m1 is not None and tuple(m1.data_shape) != tuple(input_shape):
            raise ValueError(
                f"m1 takes inputs of shape {m1.data_shape}, but input_shape is "
                f"{tuple(input_shape)}."
            )
        if m1 is not None:
            input_range = m1.input_range
        elif generative is not None:
            input_range = getattr(generative, "input_range", None)
        else:
            input_range = None if likelihood == "gaussian" else (0.0, 1.0)
        super().__init__(input_shape, input_range=input_range, seed=seed, **kwargs)
        self.num_classes = self._checked_num_classes(num_classes)
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.classifier_units = tuple(int(u) for u in classifier_units)
        self.activation = activation
        self.likelihood = likelihood
        self.alpha = float(alpha)
        self.m1 = m1
        if m1 is not None:
            m1.trainable = False
        self._given_networks(m1=m1, generative=generative, classifier=classifier)
        features = (m1.latent_dim,) if m1 else self.data_shape
        if generative is None:
            generative = CVAE(
                features,
                latent_dim,
                num_classes,
                hidden_units=self.hidden_units,
                activation=activation,
                likelihood="gaussian" if m1 else likelihood,
                seed=seed,
                name="generative",
            )
        if classifier is None:
            classifier = networks.mlp_encoder(
                features,
                num_classes,
                self.classifier_units,
                activation,
                name="classifier",
            )
        self.generative = generative
        self.classifier = classifier
        # A given generative model says the size of z.
        self.latent_dim = int(generative.latent_dim)
        self._check_networks(features)
        self._declare_metrics(["loss", "cross_entropy", "accuracy"])
        self.built = True

    def _check_networks(self, features):
        generative = self.generative
        classes = getattr(generative, "num_classes", None)
        if not isinstance(generative, CVAE) or classes != self.num_classes:
            raise ValueError(
                f"generative must be a CVAE of {self.num_classes} classes, got a "
                f"{type(generative).__name__} of {classes} classes."
            )
        if tuple(generative.data_shape) != features:
            raise ValueError(
                f"generative must model features of shape {features}, got "
                f"{generative.data_shape}."
            )
        got = tuple(self.classifier.input_shape[1:]), self.classifier.output_shape
        if got[0] != features or tuple(got[1][1:]) != (self.num_classes,):
            raise ValueError(
                f"classifier must map {features} to {self.num_classes} logits, got "
                f"{got[0]} -> {got[1]}."
            )

    # -- model -----------------------------------------------------------------

    def features(self, x, training=False):
        """What M2 models: `x` itself, or M1's codes (a sample when training)."""
        if self.m1 is None:
            return ops.cast(x, self.compute_dtype)
        q1 = self.m1.posterior(x)
        return q1.sample(seed=self.generative._draw_seed()) if training else q1.mean()

    def _bound_per_class(self, feats, training):
        # L(x, y) for every class y: shape [B, num_classes].
        k = self.num_classes
        batch = ops.shape(feats)[0]
        labels = ops.tile(ops.arange(k, dtype="int32"), [batch])
        repeated = ops.repeat(feats, k, axis=0)
        cvae = self.generative
        q = cvae.posterior(repeated, labels, training=training)
        z = q.sample(seed=cvae._draw_seed())
        nll = -cvae.likelihood_of(z, labels, training).log_prob(repeated)
        bound = nll + cvae.kl_divergence(q, z) + math.log(k)
        return ops.reshape(bound, (-1, k))

    def compute_losses(self, x, y=None, training=False):
        if y is None:
            y = ops.full((ops.shape(x)[0],), UNLABELLED, "int32")
        y = ops.cast(ops.reshape(y, (-1,)), "int32")
        feats = self.features(x, training)
        logits = ops.cast(self.classifier(feats, training=training), "float32")
        log_qy = ops.log_softmax(logits, axis=-1)
        bound = self._bound_per_class(feats, training)
        labelled = ops.greater_equal(y, 0)
        index = ops.expand_dims(ops.maximum(y, 0), -1)
        bound_y = ops.take_along_axis(bound, index, axis=-1)[:, 0]
        cross_entropy = -ops.take_along_axis(log_qy, index, axis=-1)[:, 0]
        qy = ops.exp(log_qy)
        unlabelled_bound = ops.sum(qy * (bound + log_qy), axis=-1)
        loss = ops.where(
            labelled, bound_y + self.alpha * cross_entropy, unlabelled_bound
        )
        weights = ops.cast(labelled, loss.dtype)
        hit = ops.cast(ops.equal(ops.argmax(log_qy, -1), ops.maximum(y, 0)), "float32")
        return {
            "loss": loss,
            "cross_entropy": (cross_entropy, weights),
            "accuracy": (hit, weights),
        }

    # -- labels at the edge ----------------------------------------------------

    # -- verbs -----------------------------------------------------------------

    def call(self, x, training=False):
        """Class probabilities q(y|x), `[B, num_classes]`."""
        return ops.softmax(self.classifier(self.features(x), training=training))

    def classify(self, x):
        """q(y|x) for a batch of inputs, `[B, num_classes]`."""
        return self.call(self.validate_inputs(x, "classify"))

    def encode(self, x, labels=None):
        """q(z|x, y) (of M1's codes with `m1`); `labels=None` takes argmax q(y|x)."""
        x = self.validate_inputs(x, "encode")
        if labels is None:
            labels = np.argmax(self.call(x), -1)
        labels = self._check_class_labels(labels, "encode", len(x))
        return self.generative.posterior(self.features(x), labels)

    def sample(self, n, labels=None):
        """Means of p(x|y, z) at z ~ p(z) and y ~ p(y) (or the `labels` given);
        with `m1`, M1 decodes the generated codes."""
        n = self._check_count(n)
        if labels is None:
            labels = keras.random.randint(
                (n,), 0, self.num_classes, seed=self.seed_generator
            ).numpy()
        images = self.generative.sample(n, labels)
        return images if self.m1 is None else self.m1.decode(images).mean()

    def predict_classes(self, x):
        """argmax q(y|x) per example, `[B]` (numpy)."""
        return np.argmax(self.classify(x), -1)

    # -- config ----------------------------------------------------------------

    def get_config(self):
        # m1 and given networks are serialized; the arguments of built ones are not.
        return self._with_networks(
            super().get_config()
            | {
                "latent_dim": self.latent_dim,
                "num_classes": self.num_classes,
                "hidden_units": list(self.hidden_units),
                "classifier_units": list(self.classifier_units),
                "activation": self.activation,
                "likelihood": self.likelihood,
                "alpha": self.alpha,
            }
        )
