"""A domain classifier: the feature extractor behind FID, IS and class fractions."""

import keras
import numpy as np
from keras import ops
from scipy import special

from ..layers import SHIFT_ROTATE_NO_XLA, random_shift_rotate
from .base import Model
from .networks import synced_batch_norm
from .shapes import check_pooled_shape, positive_int


def classifier_network(
    input_shape, num_classes=10, filters=(32, 64), dense_units=128, dropout=0.3
):
    """A small CNN from images to `[features, logits]`.

    Each entry of `filters` is a block of two 3x3 convolutions (batch norm, ReLU)
    followed by 2x2 max pooling; then a dense layer with batch norm and ReLU gives
    the `features` (`[B, dense_units]`), and dropout and a linear layer the logits.
    Dropout comes only after the last batch norm: before one, it shifts the
    variance batch norm sees in training away from the one at test time (Li et
    al., "Understanding the disharmony between dropout and batch normalization by
    variance shift", CVPR 2019). Batch norm's moving statistics average over about
    the last 10 steps (momentum 0.9, not Keras' 0.99), which lag the weights less;
    with a constant learning rate test accuracy still jumped by tenths of a percent
    between epochs, so the preset's recipe decays the learning rate.

    Args:
        input_shape: Shape of one image, `(H, W, C)`, H and W at least
            `2 ** len(filters)` (floor-divided by each pooling).
        num_classes: Number of classes.
        filters: Convolution filters per block.
        dense_units: Width of the feature layer.
        dropout: Dropout rate before the logits.

    Returns:
        A functional `keras.Model` with outputs `[features, logits]`.
    """
    input_shape = check_pooled_shape(
        input_shape, len(filters), f"classifier_network(filters={tuple(filters)})"
    )
    inputs = keras.Input(input_shape)
    h = inputs
    for i, width in enumerate(filters):
        for j in range(2):
            h = keras.layers.Conv2D(
                width, 3, padding="same", use_bias=False, name=f"conv{i}_{j}"
            )(h)
            h = synced_batch_norm(momentum=0.9, name=f"bn{i}_{j}")(h)
            h = keras.layers.ReLU(name=f"relu{i}_{j}")(h)
        h = keras.layers.MaxPooling2D(2, name=f"pool{i}")(h)
    h = keras.layers.Flatten(name="flatten")(h)
    h = keras.layers.Dense(dense_units, use_bias=False, name="dense")(h)
    h = synced_batch_norm(momentum=0.9, name="bn_dense")(h)
    features = keras.layers.ReLU(name="features")(h)
    h = keras.layers.Dropout(dropout, name="dropout_dense")(features)
    logits = keras.layers.Dense(num_classes, name="logits")(h)
    return keras.Model(inputs, [features, logits], name="classifier_network")


@keras.saving.register_keras_serializable(package="keras_gen")
class Classifier(Model):
    """A CNN classifier of the training domain, used to score generated samples.

    It is trained with `fit` on `(x, y)` batches (sparse cross-entropy), optionally
    on randomly shifted and rotated copies of the images. Its penultimate
    activations (`features`) are the embedding of the Frechet distance, its class
    probabilities (`predict_proba`) feed the Inception Score and class fractions
    (see `keras_gen.metrics`). `call` returns logits `[B, num_classes]`.

    Tracked metrics: `loss` (cross-entropy, nats per image) and `accuracy`.

    Args:
        input_shape: Shape of one image, e.g. `(28, 28, 1)`; values in [0, 1].
        num_classes: Number of classes; labels are integers in `[0, num_classes)`.
        filters: Filters of the convolution blocks (two 3x3 convolutions each).
        dense_units: Width of the feature (penultimate) layer.
        dropout: Dropout rate before the logits.
        max_shift: Largest random translation in pixels while training (0: none).
        max_rotation: Largest random rotation in degrees while training (0: none).
        network: Optional `keras.Model` from images to `[features, logits]`; the
            config then holds it serialized instead of `filters`, `dense_units`
            and `dropout`, which shape the default one.
        seed: Seed of the model's random stream.
        **kwargs: Passed to `keras.Model`.

    Example:
        >>> clf = keras_gen.Classifier(max_shift=2, max_rotation=10)
        >>> clf.compile(keras.optimizers.Adam(1e-3))
        >>> clf.fit(keras_gen.data.load("mnist", "train"), epochs=5)
        >>> clf.predict_classes(x_test[:4])
        array([7, 2, 1, 0])

    Reference:
        Heusel et al., "GANs trained by a two time-scale update rule converge to a
        local Nash equilibrium", NeurIPS 2017 (FID on a domain network's features).
    """

    sub_models = ("network",)
    network_arguments = {"network": ("filters", "dense_units", "dropout")}
    takes_labels = True
    # Measured on its own terms, cross-entropy and accuracy (keras_gen.evaluation).
    evaluations = ("losses",)

    def __init__(
        self,
        input_shape=(28, 28, 1),
        num_classes=10,
        filters=(32, 64),
        dense_units=128,
        dropout=0.3,
        max_shift=0,
        max_rotation=0.0,
        network=None,
        seed=None,
        **kwargs,
    ):
        if isinstance(num_classes, bool) or int(num_classes) < 2:
            raise ValueError(f"num_classes must be an integer >= 2, got {num_classes}.")
        super().__init__(input_shape, input_range=(0.0, 1.0), seed=seed, **kwargs)
        self.num_classes = positive_int(num_classes, "num_classes")
        self.filters = tuple(int(f) for f in filters)
        self.dense_units = int(dense_units)
        self.dropout = float(dropout)
        if network is None:
            check_pooled_shape(
                self.data_shape,
                len(self.filters),
                f"Classifier's default network (filters={self.filters})",
            )
        self.max_shift = float(max_shift)
        self.max_rotation = float(max_rotation)
        if max_shift or max_rotation:
            # Checks the augmentation arguments now rather than at the first step.
            random_shift_rotate(
                np.zeros((1, *self.data_shape), "float32"), max_shift, max_rotation, 0
            )
        self._given_networks(network=network)
        if network is None:
            network = classifier_network(
                self.data_shape, self.num_classes, self.filters, dense_units, dropout
            )
        self.network = network
        self._check_network()
        self._declare_metrics(["loss", "accuracy"])
        self.built = True

    def _check_network(self):
        shapes = self.network.output_shape
        got = tuple(self.network.input_shape[1:])
        if (
            got != self.data_shape
            or not isinstance(shapes, list | tuple)
            or len(shapes) != 2
            or tuple(shapes[1][1:]) != (self.num_classes,)
            or len(shapes[0]) != 2
        ):
            raise ValueError(
                f"network must map {self.data_shape} to [features (batch, d), logits "
                f"(batch, {self.num_classes})], got {got} -> {shapes}."
            )

    @property
    def feature_dim(self):
        """Size of the feature vector."""
        return int(self.network.output_shape[0][-1])

    # -- forward ---------------------------------------------------------------

    def call(self, x, training=False):
        return self.network(x, training=training)[1]

    def compute_losses(self, x, y=None, training=False):
        y = self._check_class_labels(y, "compute_losses")
        x = ops.cast(x, self.compute_dtype)
        if training and (self.max_shift or self.max_rotation):
            x = random_shift_rotate(
                x, self.max_shift, self.max_rotation, seed=self.seed_generator
            )
        logits = self.network(x, training=training)[1]
        y = ops.cast(y, "int32")
        # float32 logits keep the loss exact under mixed precision.
        logits = ops.cast(logits, "float32")
        loss = ops.sparse_categorical_crossentropy(y, logits, from_logits=True)
        hit = ops.cast(ops.equal(ops.argmax(logits, axis=-1), y), "float32")
        return {"loss": loss, "accuracy": hit}

    # -- verbs -----------------------------------------------------------------

    def _batched(self, x, index, where, batch_size):
        x = self.validate_inputs(x, where)
        parts = [
            self.network(x[i : i + batch_size], training=False)[index].numpy()
            for i in range(0, int(x.shape[0]), batch_size)
        ]
        if not parts:
            width = self.feature_dim if index == 0 else self.num_classes
            return np.zeros((0, width), "float32")
        return np.concatenate(parts).astype("float32")

    def features(self, x, batch_size=500):
        """Penultimate activations `[N, feature_dim]` (numpy), in batches.

        Args:
            x: Images `[N, *input_shape]` in [0, 1], array or tensor.
            batch_size: Images per forward pass.
        """
        return self._batched(x, 0, "features", batch_size)

    def predict_logits(self, x, batch_size=500):
        """Logits `[N, num_classes]` (numpy), in batches."""
        return self._batched(x, 1, "predict_logits", batch_size)

    def predict_proba(self, x, batch_size=500):
        """Class probabilities `[N, num_classes]` (numpy, rows sum to 1)."""
        logits = self._batched(x, 1, "predict_proba", batch_size).astype(np.float64)
        return special.softmax(logits, axis=1)

    def predict_classes(self, x, batch_size=500):
        """Most probable class per image, `[N]` int64."""
        return self._batched(x, 1, "predict_classes", batch_size).argmax(1)

    # -- config ----------------------------------------------------------------

    @property
    def jit_unsupported_reason(self):
        return SHIFT_ROTATE_NO_XLA if (self.max_shift or self.max_rotation) else None

    def get_config(self):
        # A network given to the constructor is serialized, else its arguments are.
        return self._with_networks(
            super().get_config()
            | {
                "num_classes": self.num_classes,
                "filters": list(self.filters),
                "dense_units": self.dense_units,
                "dropout": self.dropout,
                "max_shift": self.max_shift,
                "max_rotation": self.max_rotation,
            }
        )
