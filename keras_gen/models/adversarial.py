"""`AdversarialModel`: the shared step of models trained by several optimizers.

A model names its optimizers (`optimizer_names`) and maps each to the sub-networks
it updates (`optimizer_networks`); a training step is a sequence of phases, each
`phase(optimizer_name, loss_fn, minimize)`: the loss of one phase differentiated
with respect to that optimizer's variables and applied by it. The same sub-network
may be updated by several optimizers (an adversarial autoencoder's encoder) and one
optimizer may serve several phases. `fit` regroups the data so that one step holds
`minibatches_per_step` fresh minibatches (the k discriminator steps of the 2014 GAN),
and `keep_average` keeps an exponential moving average of any sub-network.
"""

import numbers

import keras
import tensorflow as tf
from keras import ops

from .. import distribute
from .base import GenerativeModel, as_float32


class AdversarialModel(GenerativeModel):
    """Base of models trained in phases by several named optimizers.

    Subclasses set `optimizer_names` and `optimizer_networks` (optimizer name ->
    tuple of sub-network attribute names) and write `train_step` as phases.
    """

    optimizer_names = ()
    optimizer_networks = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._averages = {}
        self._histories = {}
        self.history_weight = 0.0
        for name in self.optimizer_names:
            setattr(self, name, None)

    # -- optimizers and phases -------------------------------------------------

    def optimizer_variables(self, name):
        """The trainable variables of the sub-networks the optimizer `name` updates."""
        if name not in self.optimizer_networks:
            raise ValueError(
                f"{type(self).__name__} has no optimizer {name!r}; it has "
                f"{', '.join(self.optimizer_names)}."
            )
        variables = []
        for network in self.optimizer_networks[name]:
            for v in getattr(self, network).trainable_variables:
                if all(v is not seen for seen in variables):
                    variables.append(v)
        return variables

    def phase(self, optimizer_name, loss_fn, minimize):
        """One update: `loss_fn()` -> dict of per-example terms; the mean of
        `terms[minimize]` (over the global batch), plus the layer penalties of the
        optimizer's networks, is minimized over that optimizer's variables.

        Returns:
            The terms, for the metric trackers.
        """
        optimizer = getattr(self, optimizer_name)
        variables = self.optimizer_variables(optimizer_name)
        networks = [getattr(self, n) for n in self.optimizer_networks[optimizer_name]]
        names = self.optimizer_networks[optimizer_name]
        with tf.GradientTape() as tape:
            terms = loss_fn()
            loss = distribute.average_loss(as_float32(terms[minimize]))
            loss += self.layer_penalty(networks) + self.history_penalty(names)
            loss = optimizer.scale_loss(loss)
        grads = tape.gradient(loss, variables)
        # A variable this phase's loss does not reach (the style head of an
        # encoder in a classification phase) is left out, not given a zero step.
        pairs = [(g, v) for g, v in zip(grads, variables, strict=True) if g is not None]
        # The optimizer's step counter depends on no gradient; tie it to the loss so
        # that a batch the input pipeline refused leaves it unchanged too.
        with tf.control_dependencies([loss]):
            optimizer.apply_gradients(pairs)
        return terms

    # -- k fresh minibatches per step ------------------------------------------

    @property
    def minibatches_per_step(self):
        """k: how many real minibatches one training step consumes."""
        return 1

    def minibatches(self, data):
        """The step's k `(x, labels)` minibatches (data grouped by `fit`)."""
        x, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        k = self.minibatches_per_step
        if k == 1:
            return [(x, labels)]
        return [(x[:, i], None if labels is None else labels[:, i]) for i in range(k)]

    def _adapt_fit_data(self, x, y, batch_size):
        if self.minibatches_per_step == 1:
            return x, y, batch_size
        return self._group_minibatches(x, y, batch_size or 32), None, None

    def _group_minibatches(self, x, y, batch_size):
        # One step gets [m, k, ...]: k minibatches of m, batch axis first so that a
        # strategy splits m across replicas.
        k = self.minibatches_per_step
        if not isinstance(x, tf.data.Dataset):
            x = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
            x = x.shuffle(len(x), reshuffle_each_iteration=True).batch(batch_size)
        first = next(iter(x))
        m = int((first[0] if isinstance(first, tuple) else first).shape[0])
        grouped = x.unbatch().batch(k, drop_remainder=True)
        grouped = grouped.batch(m, drop_remainder=True)
        if x.cardinality() != tf.data.INFINITE_CARDINALITY:
            # Keras runs one extra, empty step on data of unknown length (the
            # optimizers would count it), so state the length.
            n = sum(int((b[0] if isinstance(b, tuple) else b).shape[0]) for b in x)
            if n < k * m:  # else fit would train nothing and report nothing
                raise ValueError(
                    f"{type(self).__name__}.fit takes {k} minibatches of {m} per "
                    f"training step, so it expected at least {k * m} examples, got "
                    f"{n}: not one step would train."
                )
            steps = tf.data.experimental.assert_cardinality(n // (k * m))
            grouped = grouped.apply(steps)
        return grouped.prefetch(tf.data.AUTOTUNE)

    # -- moving averages of sub-networks ---------------------------------------

    def keep_average(self, network_name, decay):
        """Keeps `<network_name>_ema`, an exponential moving average of a sub-network's
        weights (batch-norm statistics included), updated by `update_averages`:
        `ema = decay * ema + (1 - decay) * weights`.

        Returns:
            The averaged copy (not trainable).
        """
        # Not Keras' `use_ema=True`: that averages only one optimizer's trainable
        # variables (no batch-norm statistics), keeps no separate network to sample
        # from while training, and `SwapEMAWeights` goes through `model.optimizer`,
        # which these several-optimizer models do not have.
        if (
            isinstance(decay, bool)
            or not isinstance(decay, numbers.Real)
            or not 0 <= decay < 1
        ):
            raise ValueError(
                f"ema_decay must be None or a number in [0, 1), got {decay!r}."
            )
        network = getattr(self, network_name)
        try:
            average = keras.models.clone_model(network)
        except (ValueError, TypeError) as error:
            raise TypeError(
                f"ema_decay needs a {network_name} that keras.models.clone_model can "
                "copy (a functional or sequential model), got "
                f"{type(network).__name__}: {error}"
            ) from error
        average.set_weights(network.get_weights())
        average.trainable = False
        setattr(self, f"{network_name}_ema", average)
        self._averages[network_name] = float(decay)
        return average

    def reset_averages(self):
        """Sets every averaged sub-network to its network's current weights (after
        weights change outside training, e.g. a data-dependent initialization)."""
        for network_name in self._averages:
            average = getattr(self, f"{network_name}_ema")
            average.set_weights(getattr(self, network_name).get_weights())

    def update_averages(self):
        """One moving-average step of every averaged sub-network."""
        for network_name, decay in self._averages.items():
            average = getattr(self, f"{network_name}_ema")
            network = getattr(self, network_name)
            for avg, weight in zip(average.weights, network.weights, strict=True):
                avg.assign(decay * avg + (1.0 - decay) * weight)

    # -- historical averaging ---------------------------------------------------

    def keep_history(self, network_name, weight):
        """Historical averaging (Salimans et al. 2016, 3.3): every phase that
        updates `network_name` also descends `weight * ||theta - mean_t theta_t||^2`
        over its trainable weights, the mean running over the weights after every
        step so far (`update_histories`). The running means are non-trainable
        weights of the model, saved and loaded with it."""
        network = getattr(self, network_name)
        aggregation = "only_first_replica"  # every replica holds the same values
        means = [
            self.add_weight(
                shape=v.shape,
                initializer="zeros",
                trainable=False,
                name=f"{network_name}_history_{i}",
                aggregation=aggregation,
            )
            for i, v in enumerate(network.trainable_variables)
        ]
        count = self.add_weight(
            shape=(),
            initializer="zeros",
            trainable=False,
            name=f"{network_name}_history_count",
            aggregation=aggregation,
        )
        self._histories[network_name] = (means, count)
        self.history_weight = float(weight)

    def history_penalty(self, network_names):
        """The historical-averaging penalty of these sub-networks, divided by the
        replicas (zero before the first step: there is no history yet)."""
        total = 0.0
        for name in network_names:
            if name not in self._histories:
                continue
            means, count = self._histories[name]
            weights = getattr(self, name).trainable_variables
            # In the means' dtype (the variables' one: float32 under a mixed
            # policy), the penalty then float32 as every loss.
            distance = tf.add_n(
                [
                    ops.sum(ops.square(ops.cast(w, m.dtype) - m))
                    for w, m in zip(weights, means, strict=True)
                ]
            )
            total += ops.cast(count > 0, "float32") * as_float32(distance)
        if isinstance(total, float):
            return total
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        return self.history_weight * total / replicas

    def update_histories(self):
        """Adds the current weights of every averaged sub-network to its mean."""
        for name, (means, count) in self._histories.items():
            count.assign_add(1.0)
            for w, m in zip(
                getattr(self, name).trainable_variables, means, strict=True
            ):
                m.assign(m + (ops.cast(w, m.dtype) - m) / count)

    # -- discriminators with features ------------------------------------------

    @staticmethod
    def split_outputs(outputs):
        """`(features, logits)` of a network returning logits or `[features, logits]`
        (features is None for the former); logits keep their K columns."""
        if isinstance(outputs, list | tuple):
            if len(outputs) != 2:
                raise ValueError(
                    "A discriminator returns logits or [features, logits], got "
                    f"{len(outputs)} outputs."
                )
            return outputs[0], outputs[1]
        return None, outputs

    @staticmethod
    def logits_shape(network):
        """The shape (without batch) of a network's logits output."""
        return tuple(network.outputs[-1].shape[1:])

    @classmethod
    def check_one_logit(cls, network, name="discriminator"):
        """A `ValueError` unless `network` gives one logit per example."""
        logits = cls.logits_shape(network)
        if logits not in ((), (1,)):
            raise ValueError(
                f"The {name} must output one logit per example, shape (batch, 1), "
                f"got (batch, {logits}) (a discriminator may also return "
                "[features, logits])."
            )

    def as_column(self, labels):
        """Integer labels as a `[B, 1]` column, the label input of conditional nets."""
        return ops.reshape(ops.cast(labels, "int32"), (-1, 1))
