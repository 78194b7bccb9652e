"""`Model` and `GenerativeModel`: the bases every keras_gen model subclasses.

`Model` owns what all models share: per-term metric trackers, a seeded random stream
that differs between replicas, input validation at the edge and of every batch
inside `fit`, a `train_step`/`test_step` driven by per-example loss terms reduced
under the distribution contract, `compile` for any number of named optimizers (with
loss scaling under `mixed_float16`) and its config round trip, and preset loading and
saving. `GenerativeModel` adds the verbs of models that sample.
"""

import copy
import inspect
import warnings

import keras
import numpy as np
import tensorflow as tf

from .. import distribute, presets, zoo
from ..distribute import ReplicaSeedGenerator
from . import compile_options, guard, resume
from .conditional import Conditional as Conditional
from .shapes import checked_shape
from .validation import InputChecks


class Model(InputChecks, keras.Model):
    """Base class of keras_gen models.

    Subclasses implement `compute_losses(x, y, training)`, returning a dict of
    per-example loss vectors with the key `"loss"` (what is minimized); every key is
    tracked as a metric of the same name (a `(values, weights)` pair is a weighted
    mean). Models trained in several phases list their optimizers in
    `optimizer_names` and override `train_step` (see `adversarial.AdversarialModel`).

    We override `train_step` rather than `compute_loss` because the stock step hands
    `compute_loss` only the output of `call`, and our losses need more than that
    (logits next to reconstructions, codes, several terms).

    Args:
        input_shape: Shape of one example, without the batch axis.
        input_range: `(low, high)` the inputs must lie in, or `None` for any value.
        seed: Seed of the model's random stream (`seed_generator`).
        **kwargs: Passed to `keras.Model` (e.g. `name`).
    """

    optimizer_names = ("optimizer",)
    resumable = True  # False: `fit_recipe` calls `fit` several times (no resume)
    # Constructor arguments that are networks, serialized in `get_config`.
    sub_models = ()
    # The one flag for labels: `fit` takes `(x, y)` batches with integer classes in
    # [0, num_classes), and a model that samples draws chosen classes.
    takes_labels = False
    # Whether `UNLABELLED` (-1) is a valid label (semi-supervised models).
    accepts_unlabelled = False
    num_classes = None
    # What `keras_gen.evaluation` measures of this model (by capability).
    evaluations = ()
    # Extra figures its model card shows (see `keras_gen.cards.write_figures`).
    card_figures = ()

    def __init__(self, input_shape, input_range=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.data_shape = checked_shape(input_shape, "input_shape")
        self.input_range = None if input_range is None else tuple(input_range)
        self.seed = seed
        self.seed_generator = ReplicaSeedGenerator(seed)
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
            # Trackers see the unscaled per-example values, in float32 under mixed
            # precision; a `(values, weights)` pair averages over some examples only.
            if isinstance(value, tuple):
                self._metric(name).update_state(*(_float32(v) for v in value))
            else:
                self._metric(name).update_state(_float32(value))
        results = {name: t.result() for name, t in self._metric_trackers.items()}
        return distribute.step_results(results)

    # -- optimizers ------------------------------------------------------------

    @property
    def jit_unsupported_reason(self):
        """Why this model's train_step cannot be compiled by XLA, or None (it can:
        `tests/test_jit.py` trains every preset with `jit_compile=True`)."""
        return None

    def compile(self, optimizer="rmsprop", **kwargs):
        """Compiles with one optimizer, or with one per name in `optimizer_names`.

        A model with several optimizers (a GAN's `d_optimizer` and `g_optimizer`,
        an adversarial autoencoder's three) takes each by its name; each must be its
        own object, since one object would mix the state of two updates. Under a
        `mixed_float16` policy every optimizer is wrapped in loss scaling.
        """
        kwargs = compile_options.adjusted(self, kwargs)
        names = self.optimizer_names
        if names == ("optimizer",):
            return super().compile(optimizer=optimizer, **kwargs)
        cls = type(self).__name__
        if optimizer != "rmsprop":
            raise ValueError(f"{cls}.compile takes {', '.join(names)}, not optimizer.")
        given = {name: kwargs.pop(name, None) for name in names}
        missing = [name for name, value in given.items() if value is None]
        if missing:
            wanted = " and ".join(names) if len(names) == 2 else ", ".join(names)
            raise ValueError(
                f"{cls}.compile needs {'both ' if len(names) == 2 else ''}{wanted}, "
                f"got no {' and no '.join(missing)}."
            )
        super().compile(optimizer=None, **kwargs)
        optimizers = {}
        for name, value in given.items():
            opt = keras.optimizers.get(value)
            if self.dtype_policy.name == "mixed_float16" and not isinstance(
                opt, keras.optimizers.LossScaleOptimizer
            ):
                opt = keras.optimizers.LossScaleOptimizer(opt)
            optimizers[name] = opt
        if len({id(opt) for opt in optimizers.values()}) < len(optimizers):
            raise ValueError(
                f"{', '.join(names)} must be separate optimizer objects; one "
                "object shared by two would mix their state."
            )
        for name, opt in optimizers.items():
            setattr(self, name, opt)

    def optimizer_variables(self, name):
        """The variables the optimizer `name` updates."""
        return self.trainable_variables

    def _build_optimizers(self):
        # Each named optimizer's slots exist before fit or loading, so a saved model
        # restores every optimizer's state.
        with self.distribute_strategy.scope():
            for name in self.optimizer_names:
                opt = getattr(self, name, None)
                if opt is not None and not opt.built:
                    opt.build(self.optimizer_variables(name))

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
            # Keras skips this for a model whose compile is overridden, as ours is.
            config = keras.saving.deserialize_keras_object(config)
            self.compile(**config)
            if self.built:
                self.optimizer.build(self.trainable_variables)
            return
        optimizers = {
            name: keras.saving.deserialize_keras_object(config[name])
            for name in self.optimizer_names
        }
        self.compile(**optimizers)
        self._build_optimizers()

    def _check_compiled(self, where):
        names = self.optimizer_names
        if names != ("optimizer",) and (
            not self.compiled or getattr(self, names[0], None) is None
        ):
            raise ValueError(
                f"Call {type(self).__name__}.compile("
                + ", ".join(f"{n}=..." for n in names)
                + f") before {where}."
            )

    # -- training --------------------------------------------------------------

    def compute_losses(self, x, y=None, training=False):
        """Returns a dict of per-example loss vectors, including `"loss"`."""
        raise NotImplementedError(f"{type(self).__name__} must define compute_losses.")

    def layer_penalty(self, layers=None):
        """The sum of the layer losses (regularizers) of `layers` (default: all),
        divided by the replicas so that the sum over replicas is one copy."""
        penalties = (
            self.losses
            if layers is None
            else [loss for layer in layers for loss in layer.losses]
        )
        if not penalties:
            return 0.0
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        return _float32(tf.add_n(penalties)) / replicas

    def _total_loss(self, terms):
        return distribute.average_loss(_float32(terms["loss"])) + self.layer_penalty()

    def train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            terms = self.compute_losses(x, y, training=True)
            loss = self.optimizer.scale_loss(self._total_loss(terms))
        grads = tape.gradient(loss, self.trainable_weights)
        # The step counter depends on no gradient: tie it to the loss, so that a batch
        # refused by the input checks leaves the optimizer unchanged too.
        with tf.control_dependencies([loss]):
            self.optimizer.apply_gradients(
                zip(grads, self.trainable_weights, strict=True)
            )
        return self._update_metric_trackers(terms)

    def test_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self._update_metric_trackers(self.compute_losses(x, y, training=False))

    def _adapt_fit_data(self, x, y, batch_size):
        """Hook: reshape checked fit data (e.g. k minibatches per step)."""
        return x, y, batch_size

    def _run_checked(self, run, where):
        try:
            return run()
        except tf.errors.InvalidArgumentError as err:
            error = self._input_error(err, where)
            if error is None:
                raise
            raise error from None

    def fit(self, x=None, y=None, batch_size=None, **kwargs):
        self._check_compiled("fit")
        x = self._validate_fit_data(x, y, "fit")
        self._build_optimizers()
        distribute.replica_noise_in_layers(self)  # dropout differs across replicas
        kwargs["callbacks"] = guard.with_guard(kwargs.get("callbacks"))  # NaN stops

        def run(x=x, y=y, batch_size=batch_size):
            x, y, batch_size = self._adapt_fit_data(x, y, batch_size)
            if isinstance(x, tf.data.Dataset):
                # A dataset shuffles itself; Keras warns about its default otherwise.
                kwargs.setdefault("shuffle", False)

            def keras_fit(data, **kw):
                return super(Model, self).fit(data, y, batch_size=batch_size, **kw)

            return resume.fit(self, keras_fit, x, kwargs)  # a TrainingCheckpoint's

        return self._run_checked(run, "fit")

    def evaluate(self, x=None, y=None, *args, **kwargs):
        x = self._validate_fit_data(x, y, "evaluate")
        return self._run_checked(
            lambda: super(Model, self).evaluate(x, y, *args, **kwargs), "evaluate"
        )

    def fit_recipe(self, train, *, epochs, callbacks=(), verbose=2, recipe=None):
        """Trains as a preset's recipe says: the one hook `keras_gen.training` calls.

        The default is `fit`; a family that trains in stages (layer-wise
        pretraining, a clustering schedule, a fitted code distribution) overrides
        it, so the trainer never asks what a model is.

        Args:
            train: A `tf.data.Dataset` of training batches.
            epochs: Epochs of `fit`.
            callbacks: Keras callbacks for every `fit` call.
            verbose: Passed to `fit`.
            recipe: The preset's recipe (with the run's `epochs` and `batch_size`).

        Returns:
            The `History` of the last `fit`.
        """
        return self.fit(
            train, epochs=epochs, callbacks=list(callbacks), verbose=verbose
        )

    # -- config ----------------------------------------------------------------

    # Sub-network -> the constructor arguments that only shape its default network.
    # `get_config` records a sub-network either by these arguments (built by the
    # model) or serialized (given to the constructor), never both.
    network_arguments = {}

    def _given_networks(self, **networks):
        """Records which sub-networks the constructor was given (not built), and
        warns of an argument set away from its default that shapes only given
        networks: it would be silently ignored (e.g. `encoder_noise` with your own
        encoder)."""
        self._given = {name: net is not None for name, net in networks.items()}
        defaults = inspect.signature(type(self).__init__).parameters
        for argument in self._unused_arguments(self._given):
            if argument not in defaults or not hasattr(self, argument):
                continue
            default = defaults[argument].default
            if default is inspect.Parameter.empty:
                continue
            value = getattr(self, argument)
            if isinstance(default, (list, tuple)):
                default = tuple(default)
            if value != default:
                nets = [n for n, a in self.network_arguments.items() if argument in a]
                warnings.warn(
                    f"{type(self).__name__}: {argument}={value!r} shapes only the "
                    f"{' and '.join(nets)} the model builds, but you gave your own, "
                    f"so it is ignored (and not saved). Build it into your network "
                    f"to use it.",
                    stacklevel=3,
                )

    def get_config(self):
        return {
            "name": self.name,
            "input_shape": list(self.data_shape),
            "seed": self.seed,
        }

    def _with_networks(self, config):
        """`config` with each given sub-network serialized and the arguments of the
        sub-networks it did not build left out (one source of truth)."""
        given = getattr(self, "_given", {})
        for network in self.sub_models:
            if given.get(network):
                config[network] = keras.saving.serialize_keras_object(
                    getattr(self, network)
                )
            else:
                config.pop(network, None)
        for argument in self._unused_arguments(given):
            config.pop(argument, None)
        return config

    @classmethod
    def _unused_arguments(cls, given):
        # An argument is unused when every sub-network it shapes was given.
        shaped = {}
        for network, arguments in cls.network_arguments.items():
            for argument in arguments:
                shaped.setdefault(argument, []).append(network)
        return [a for a, nets in shaped.items() if all(given.get(n) for n in nets)]

    @classmethod
    def architecture_arguments(cls):
        """Constructor arguments that change the networks (and so their weights)."""
        return sorted({a for args in cls.network_arguments.values() for a in args})

    @classmethod
    def from_config(cls, config):
        # Sub-networks come serialized (see `sub_models`); rebuild them first. A
        # config written before the networks-or-arguments rule holds both: the
        # serialized networks win, as they did then.
        config = copy.deepcopy(config)
        given = {}
        for key in cls.sub_models:
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
                given[key] = True
        for argument in cls._unused_arguments(given):
            config.pop(argument, None)
        return cls(**config)

    # -- presets ---------------------------------------------------------------

    @classmethod
    def from_preset(cls, name, pretrained=True, **overrides):
        """Creates a registered preset, with its pretrained weights by default.

        Example:
            >>> model = keras_gen.Autoencoder.from_preset("ae_mnist")
        """
        model = zoo.create_model(name, pretrained=pretrained, **overrides)
        if not isinstance(model, cls):
            raise TypeError(
                f"Preset {name!r} is a {type(model).__name__}, not a {cls.__name__}."
            )
        return model

    def save_to_preset(self, path, metadata=None, weights_dtype=None):
        """Writes `config.json`, `model.weights.h5` (variables only), `metadata.json`.

        Args:
            path: Folder to write into (created if missing).
            metadata: Extra metadata (dataset, metrics, training recipe, wall time).
            weights_dtype: None (float32) or "float16" (see `presets.save_preset`).

        Returns:
            The metadata written.
        """
        return presets.save_preset(self, path, metadata, weights_dtype)


class GenerativeModel(Model):
    """A `Model` that draws examples: `sample(n, labels=None)` and `class_grid`."""

    @property
    def conditional_sampling(self):
        """Whether `sample(n, labels)` draws the given classes (a model trained on
        labels whose generator is unconditional, like the semi-supervised GAN's,
        refuses them)."""
        return self.takes_labels

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


def _float32(x):
    """Losses, metrics and outputs are float32 under a mixed-precision policy."""
    if isinstance(x, float | int):
        return x
    x = tf.convert_to_tensor(x)
    return x if x.dtype == tf.float32 else tf.cast(x, "float32")


as_float32 = _float32
