"""`GenerativeModel`: the base every keras_gen model subclasses.

It owns what all models share: per-term metric trackers, a seeded random stream,
input validation at the edge, a `train_step`/`test_step` driven by per-example loss
terms reduced under the distribution contract, the compile-config round trip of
models with several optimizers, and preset loading and saving.
"""

import copy
import math

import keras
import numpy as np
import tensorflow as tf

from .. import distribute


class GenerativeModel(keras.Model):
    """Base class of keras_gen models.

    Subclasses implement `compute_losses(x, y, training)`, returning a dict of
    per-example loss vectors with the key `"loss"` (what is minimized); every key is
    tracked as a metric of the same name (a `(values, weights)` pair is a weighted
    mean). Models trained in several phases override
    `train_step` and list their optimizers in `optimizer_names`.

    We override `train_step` rather than `compute_loss` because the stock step hands
    `compute_loss` only the output of `call`, and our losses need more than that
    (logits next to reconstructions, codes, several terms).

    Args:
        input_shape: Shape of one example, without the batch axis.
        input_range: `(low, high)` the inputs must lie in, or `None` for any value.
        seed: Seed of the model's `keras.random.SeedGenerator`.
        **kwargs: Passed to `keras.Model` (e.g. `name`).
    """

    optimizer_names = ("optimizer",)
    # Constructor arguments that are networks, serialized in `get_config`.
    sub_models = ()
    # Whether `sample(n, labels)` draws chosen classes (see `class_grid`).
    sample_takes_labels = False

    def __init__(self, input_shape, input_range=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.data_shape = tuple(int(d) for d in input_shape)
        self.input_range = None if input_range is None else tuple(input_range)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self._metric_trackers = {}

    # -- metrics ---------------------------------------------------------------

    def _metric(self, name):
        if name not in self._metric_trackers:
            self._metric_trackers[name] = keras.metrics.Mean(name=name)
        return self._metric_trackers[name]

    def _declare_metrics(self, names):
        for name in names:
            self._metric(name)

    @property
    def metrics(self):
        return list(self._metric_trackers.values())

    def _update_metric_trackers(self, terms):
        for name, value in terms.items():
            # Trackers see the unscaled per-example values; a `(values, weights)`
            # pair averages over some examples only (e.g. the labelled ones).
            if isinstance(value, tuple):
                self._metric(name).update_state(*value)
            else:
                self._metric(name).update_state(value)
        return {
            name: tracker.result() for name, tracker in self._metric_trackers.items()
        }

    # -- training --------------------------------------------------------------

    def compute_losses(self, x, y=None, training=False):
        """Returns a dict of per-example loss vectors, including `"loss"`."""
        raise NotImplementedError(f"{type(self).__name__} must define compute_losses.")

    def _total_loss(self, terms):
        loss = distribute.average_loss(terms["loss"])
        if self.losses:
            # Layer penalties are per replica: divide so the replica sum is one copy.
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            loss = loss + tf.add_n(self.losses) / replicas
        return loss

    def train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            terms = self.compute_losses(x, y, training=True)
            loss = self.optimizer.scale_loss(self._total_loss(terms))
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        return self._update_metric_trackers(terms)

    def test_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self._update_metric_trackers(self.compute_losses(x, y, training=False))

    # -- validation at the edge ------------------------------------------------

    def _check_shape(self, shape, where):
        shape = tuple(shape)
        expected = (None, *self.data_shape)
        ok = len(shape) == len(expected) and all(
            s is None or s == e for s, e in zip(shape[1:], expected[1:], strict=True)
        )
        if not ok:
            raise ValueError(
                f"{type(self).__name__}.{where} expected inputs of shape "
                f"(batch, {', '.join(map(str, self.data_shape))}), got shape "
                f"{shape}."
            )

    def _check_values(self, x, where):
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.number) or np.issubdtype(
            x.dtype, np.complexfloating
        ):
            raise TypeError(
                f"{type(self).__name__}.{where} expected real numbers, got dtype "
                f"{x.dtype}."
            )
        if np.issubdtype(x.dtype, np.floating) and not np.all(np.isfinite(x)):
            raise ValueError(
                f"{type(self).__name__}.{where} got NaN or infinite input values."
            )
        if self.input_range is not None and x.size:
            lo, hi = self.input_range
            if x.min() < lo or x.max() > hi:
                raise ValueError(
                    f"{type(self).__name__}.{where} expected values in [{lo}, {hi}] "
                    f"(the model's input range), got values in [{x.min()}, "
                    f"{x.max()}]. Scale images to [0, 1] first."
                )

    def validate_inputs(self, x, where="call"):
        """Checks shape, dtype, finiteness and range of a batch of inputs.

        Args:
            x: A batch, array-like or tensor.
            where: The verb being validated, for the message.

        Returns:
            `x` as a float32 tensor.

        Raises:
            ValueError: Wrong rank or shape, NaN, or values outside `input_range`.
            TypeError: Non-numeric data.
        """
        if isinstance(x, tf.data.Dataset):
            raise TypeError(
                f"{type(self).__name__}.{where} takes a batch (array or tensor), "
                "got a tf.data.Dataset; iterate over it or use fit/evaluate/predict."
            )
        self._check_shape(np.shape(x), where)
        if tf.executing_eagerly():
            self._check_values(x, where)
        return tf.convert_to_tensor(x, dtype=self.compute_dtype)

    def _validate_fit_data(self, x, where):
        if x is None:
            return
        if isinstance(x, tf.data.Dataset):
            spec = x.element_spec
            first = spec[0] if isinstance(spec, tuple) else spec
            if isinstance(first, dict) or not hasattr(first, "shape"):
                raise TypeError(
                    f"{type(self).__name__}.{where} expects a dataset of x or (x, y) "
                    f"batches, got element_spec {spec}."
                )
            self._check_shape(first.shape, where)
            for batch in x.take(1):
                batch = batch[0] if isinstance(batch, tuple) else batch
                self._check_values(batch.numpy(), where)
        elif isinstance(x, np.ndarray | tf.Tensor | list):
            self._check_shape(np.shape(x), where)
            self._check_values(x, where)

    def fit(self, x=None, y=None, *args, **kwargs):
        self._validate_fit_data(x, "fit")
        if isinstance(x, tf.data.Dataset) and not args:
            # A dataset shuffles itself; Keras warns about its own default otherwise.
            kwargs.setdefault("shuffle", False)
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        self._validate_fit_data(x, "evaluate")
        return super().evaluate(x, y, *args, **kwargs)

    @staticmethod
    def _checked_num_classes(num_classes):
        if isinstance(num_classes, bool) or int(num_classes) != num_classes:
            raise ValueError(f"num_classes must be an integer, got {num_classes!r}.")
        if num_classes < 2:
            raise ValueError(f"num_classes must be at least 2, got {num_classes}.")
        return int(num_classes)

    def _check_fit_labels(self, x, y, where, unlabelled=None):
        """Labels next to the inputs of `fit`/`evaluate`: in range, one per example."""
        if isinstance(x, tf.data.Dataset):
            for batch in x.take(1):
                has_y = isinstance(batch, tuple) and len(batch) > 1
                labels = batch[1].numpy() if has_y else None
                self._check_class_labels(labels, where, unlabelled=unlabelled)
        elif x is not None:
            labels = self._check_class_labels(y, where, unlabelled=unlabelled)
            if len(labels) != len(x):
                raise ValueError(
                    f"{type(self).__name__}.{where} expected one label per example "
                    f"({len(x)}), got {len(labels)}."
                )

    def _check_class_labels(self, labels, where, n=None, unlabelled=None):
        """Validates integer class labels in `[0, num_classes)` at the edge.

        Args:
            labels: Array-like of shape `(batch,)` (or one class, given `n`).
            where: The verb being validated, for the message.
            n: The number of labels expected; a scalar is repeated `n` times.
            unlabelled: A value also accepted, marking an unlabelled example
                (the semi-supervised VAE uses -1).

        Returns:
            The labels as int32 numpy (a symbolic tensor is returned as is).
        """
        name = f"{type(self).__name__}.{where}"
        if labels is None:
            raise ValueError(
                f"{name} needs class labels: integers in [0, {self.num_classes}) "
                "(fit on (x, y) batches), got none."
            )
        if isinstance(labels, tf.Tensor) and not tf.executing_eagerly():
            return labels
        values = np.asarray(labels)
        if values.dtype.kind not in "iu" and not (
            values.dtype.kind == "f" and np.all(values == np.round(values))
        ):
            raise ValueError(
                f"{name} expected integer class labels, got dtype {values.dtype}."
            )
        if n is not None and values.ndim == 0:
            values = np.full(n, int(values))
        if values.ndim != 1 or (n is not None and len(values) != n):
            expected = "(batch,)" if n is None else f"({n},)"
            raise ValueError(
                f"{name} expected labels of shape {expected}, got shape {values.shape}."
            )
        known = values if unlabelled is None else values[values != unlabelled]
        if known.size and (known.min() < 0 or known.max() >= self.num_classes):
            raise ValueError(
                f"{name} expected labels in [0, {self.num_classes})"
                + ("" if unlabelled is None else f" or {unlabelled} (unlabelled)")
                + f", got labels in [{known.min()}, {known.max()}]."
            )
        return values.astype("int32")

    # -- verbs -----------------------------------------------------------------

    def sample(self, n, labels=None):
        """Draws `n` examples from the model."""
        raise NotImplementedError(f"{type(self).__name__} does not sample.")

    def class_grid(self, per_class=10):
        """`[num_classes, per_class, *input_shape]`: one row of samples per class,
        for models whose `sample(n, labels)` takes classes."""
        per_class = self._check_count(per_class, "per_class")
        labels = np.repeat(np.arange(self.num_classes), per_class)
        images = np.asarray(self.sample(len(labels), labels))
        return images.reshape(self.num_classes, per_class, *self.data_shape)

    @staticmethod
    def _check_count(n, name="n"):
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}.")
        return int(n)

    # -- config ----------------------------------------------------------------

    def get_config(self):
        return {
            "name": self.name,
            "input_shape": list(self.data_shape),
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        # Sub-networks come serialized (see `sub_models`); rebuild them first.
        config = copy.deepcopy(config)
        for key in cls.sub_models:
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    def get_compile_config(self):
        if not self.compiled:
            return None
        if self.optimizer_names == ("optimizer",):
            return super().get_compile_config()
        return {
            name: keras.saving.serialize_keras_object(getattr(self, name))
            for name in self.optimizer_names
        }

    def compile_from_config(self, config):
        if self.optimizer_names == ("optimizer",):
            return super().compile_from_config(config)
        optimizers = {
            name: keras.saving.deserialize_keras_object(config[name])
            for name in self.optimizer_names
        }
        self.compile(**optimizers)

    def count_params(self):
        return int(sum(math.prod(v.shape) for v in self.trainable_variables))

    # -- presets ---------------------------------------------------------------

    @classmethod
    def from_preset(cls, name, pretrained=True, **overrides):
        """Creates a registered preset, with its pretrained weights by default.

        Example:
            >>> model = keras_gen.Autoencoder.from_preset("ae_mnist")
        """
        from .. import zoo

        model = zoo.create_model(name, pretrained=pretrained, **overrides)
        if not isinstance(model, cls):
            raise TypeError(
                f"Preset {name!r} is a {type(model).__name__}, not a {cls.__name__}."
            )
        return model

    def save_to_preset(self, path, metadata=None):
        """Writes `config.json`, `model.weights.h5` (variables only), `metadata.json`.

        Args:
            path: Folder to write into (created if missing).
            metadata: Extra metadata (dataset, metrics, training recipe, wall time).

        Returns:
            The metadata written.
        """
        from .. import zoo

        return zoo.save_preset(self, path, metadata)
