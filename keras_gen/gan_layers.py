"""Layers of the improved GAN techniques (Salimans et al. 2016, section 3).

`MinibatchDiscrimination` lets the discriminator look at a whole minibatch;
`VirtualBatchNormalization` normalizes every example with the statistics of a fixed
reference batch; `WeightNormDense` is a dense layer with weight normalization
(Salimans & Kingma 2016), which the semi-supervised GAN's networks use. All are
re-exported by `keras_gen.layers`.

Reference:
    Salimans, Goodfellow, Zaremba, Cheung, Radford & Chen, "Improved techniques for
    training GANs", NeurIPS 2016.
"""

import keras
import tensorflow as tf
from keras import ops

from . import distribute


def _positive(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return value


@keras.saving.register_keras_serializable(package="keras_gen")
class MinibatchDiscrimination(keras.layers.Layer):
    """Minibatch features: how close each example is to the others of its batch.

    For features f(x_i) in R^A, a learned tensor T in R^{A x B x C} gives
    M_i = f(x_i) T in R^{B x C}; c_b(x_i, x_j) = exp(-||M_{i,b} - M_{j,b}||_1)
    and o(x_i)_b = sum_j c_b(x_i, x_j), summed over every j of the batch including
    i itself (as the paper writes it, so a batch of n identical examples gives
    o = n in every kernel). The output is `[f(x_i), o(x_i)]`, `[N, A + B]`. Under
    a `tf.distribute` strategy the batch is the global one: each replica compares
    its examples with every replica's (`distribute.gather_batch`), as one device
    would.

    Args:
        num_kernels: B.
        kernel_dim: C.
        **kwargs: `keras.layers.Layer` arguments.
    """

    def __init__(self, num_kernels=100, kernel_dim=5, **kwargs):
        super().__init__(**kwargs)
        self.num_kernels = _positive(num_kernels, "num_kernels")
        self.kernel_dim = _positive(kernel_dim, "kernel_dim")

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                "MinibatchDiscrimination expects features of shape (batch, A), got "
                f"{tuple(input_shape)}."
            )
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.num_kernels * self.kernel_dim),
            initializer=keras.initializers.RandomNormal(stddev=0.05),
            name="kernel",
        )

    def call(self, inputs):
        m = ops.reshape(
            ops.matmul(inputs, self.kernel), (-1, self.num_kernels, self.kernel_dim)
        )
        others = distribute.gather_batch(m)
        # [N, 1, B, C] - [1, N', B, C]: the L1 distance of every pair, per kernel.
        distance = ops.sum(ops.abs(m[:, None] - others[None]), axis=-1)
        closeness = ops.sum(ops.exp(-distance), axis=1)  # [N, B]
        return ops.concatenate([inputs, ops.cast(closeness, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1] + self.num_kernels)

    def get_config(self):
        return super().get_config() | {
            "num_kernels": self.num_kernels,
            "kernel_dim": self.kernel_dim,
        }


@keras.saving.register_keras_serializable(package="keras_gen")
class VirtualBatchNormalization(keras.layers.Layer):
    """Batch normalization against a fixed reference batch, example by example.

    Each example x is normalized with the mean and variance of the reference
    batch's n inputs together with x itself (weights n / (n + 1) and 1 / (n + 1)),
    as the paper's section 3.4 and its released code do, so the output of an
    example does not depend on the other examples of its batch. The reference
    statistics are the layer's inputs on the reference batch: set them with
    `set_reference_batch(model, x_ref)` (which records every such layer of the
    model) before the first call, and again whenever the earlier layers change.

    Args:
        epsilon: Added to the variance.
        center: Learn a shift beta.
        scale: Learn a scale gamma.
        **kwargs: `keras.layers.Layer` arguments.
    """

    def __init__(self, epsilon=1e-5, center=True, scale=True, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self._recording = False

    def build(self, input_shape):
        shape = (input_shape[-1],)
        self.gamma = self.add_weight(
            shape=shape, initializer="ones", name="gamma", trainable=self.scale
        )
        self.beta = self.add_weight(
            shape=shape, initializer="zeros", name="beta", trainable=self.center
        )
        for name in ("reference_mean", "reference_mean_square"):
            setattr(
                self,
                name,
                self.add_weight(
                    shape=shape, initializer="zeros", name=name, trainable=False
                ),
            )
        self.reference_size = self.add_weight(
            shape=(), initializer="zeros", name="reference_size", trainable=False
        )

    def _has_reference(self):
        # Read eagerly even while a step is traced: a missing reference is an
        # error before anything runs.
        with tf.init_scope():
            return float(ops.convert_to_numpy(self.reference_size)) > 0

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        axes = tuple(range(len(x.shape) - 1))
        if self._recording:
            n = ops.cast(ops.prod(ops.shape(x)[:-1]), "float32")
            self.reference_mean.assign(ops.mean(x, axis=axes))
            self.reference_mean_square.assign(ops.mean(ops.square(x), axis=axes))
            self.reference_size.assign(n)
        elif not self._has_reference():
            raise ValueError(
                f"VirtualBatchNormalization layer {self.name!r} has no reference "
                "batch: call keras_gen.layers.set_reference_batch(model, x_ref) "
                "first."
            )
        n = self.reference_size
        new = 1.0 / (n + 1.0)
        mean = new * x + (1.0 - new) * self.reference_mean
        mean_square = new * ops.square(x) + (1.0 - new) * self.reference_mean_square
        variance = ops.maximum(mean_square - ops.square(mean), 0.0)
        out = (x - mean) * ops.rsqrt(variance + self.epsilon)
        return ops.cast(out * self.gamma + self.beta, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return super().get_config() | {
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
        }


def set_reference_batch(model, x_ref):
    """Runs `model` on the reference batch `x_ref`, recording the statistics of
    every `VirtualBatchNormalization` layer's input (earlier layers first).

    Returns:
        The number of layers that recorded a reference.
    """
    layers = [
        layer
        for layer in model._flatten_layers(include_self=False)
        if isinstance(layer, VirtualBatchNormalization)
    ]
    if not layers:
        raise ValueError(f"{model.name} has no VirtualBatchNormalization layer.")
    for layer in layers:
        layer._recording = True
    try:
        model(x_ref, training=False)
    finally:
        for layer in layers:
            layer._recording = False
    return len(layers)


@keras.saving.register_keras_serializable(package="keras_gen")
class WeightNormDense(keras.layers.Layer):
    """Dense layer with weight normalization: w = g v / ||v|| per output unit,
    y = activation(x w + b) (Salimans & Kingma 2016).

    `data_init(x)` is the paper's data-dependent initialization: it sets g and b
    so that the pre-activations on the batch `x` have mean 0 and variance 1 per
    unit (keras has no weight-normalization layer, so it is written here).

    Args:
        units: Output width.
        activation: Activation (a Keras name or callable).
        train_scale: Whether g is trained. With `False` only `data_init` sets it,
            as in the hidden layers of Salimans et al.'s released MNIST networks.
        kernel_initializer: The initializer of the direction v (default N(0, 0.05)).
            With weight normalization the scale of v does not change the output
            but sets the step: an Adam step moves v by about the learning rate, so
            it turns the direction by about lr / |v|.
        **kwargs: `keras.layers.Layer` arguments.
    """

    def __init__(
        self,
        units,
        activation=None,
        train_scale=True,
        kernel_initializer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.kernel_initializer = keras.initializers.get(
            kernel_initializer or keras.initializers.RandomNormal(stddev=0.05)
        )
        self.units = _positive(units, "units")
        self.activation = keras.activations.get(activation)
        if not isinstance(train_scale, bool):
            raise TypeError(
                f"train_scale must be True or False, got {type(train_scale).__name__}."
            )
        self.train_scale = train_scale

    def build(self, input_shape):
        self.v = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer=self.kernel_initializer,
            name="v",
        )
        self.g = self.add_weight(
            shape=(self.units,),
            initializer="ones",
            name="g",
            trainable=self.train_scale,
        )
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def _direction(self):
        return self.v / ops.sqrt(ops.sum(ops.square(self.v), axis=0, keepdims=True))

    def call(self, inputs):
        pre = ops.matmul(inputs, ops.cast(self._direction(), inputs.dtype))
        pre = pre * ops.cast(self.g, pre.dtype) + ops.cast(self.bias, pre.dtype)
        return self.activation(pre)

    def data_init(self, x, epsilon=1e-6):
        """Sets g = 1 / std(t) and b = -mean(t) / std(t) for t = x v / ||v||."""
        x = ops.convert_to_tensor(x, "float32")
        if not self.built:
            self.build(x.shape)
        t = ops.matmul(x, self._direction())
        mean, std = ops.mean(t, axis=0), ops.std(t, axis=0) + epsilon
        self.g.assign(1.0 / std)
        self.bias.assign(-mean / std)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return super().get_config() | {
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "train_scale": self.train_scale,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }


def data_init_weight_norm(model, x):
    """The data-dependent initialization of every `WeightNormDense` layer of a
    functional `model`, first to last, each on its own inputs for the batch `x`
    (so later layers see the already initialized earlier ones).

    Returns:
        The number of layers initialized.
    """
    done = 0
    for layer in model.layers:
        if isinstance(layer, WeightNormDense):
            entry = model.inputs[0] if len(model.inputs) == 1 else model.inputs
            inputs = keras.Model(entry, layer.input)(x, training=False)
            layer.data_init(inputs)
            done += 1
    return done


def _packing_factor(packing):
    packing = _positive(packing, "packing")
    if packing < 2:
        raise ValueError(f"packing must be at least 2 examples, got {packing}.")
    return packing


@keras.saving.register_keras_serializable(package="keras_gen")
class Pack(keras.layers.Layer):
    """PacGAN's packing (Lin, Khetan, Fanti & Oh 2018): every `packing`
    consecutive examples of the batch, flattened and concatenated into one,
    `[N, ...]` -> `[N / packing, packing * prod(...)]`, so the discriminator
    judges `packing` examples together and sees their spread. Both the real and
    the generated batch are packed (the GAN discriminates them separately), and
    `Unpack` after the logit gives every example its pack's score, so the GAN's
    losses are the packs' losses. N must be a multiple of `packing`.

    Args:
        packing: Examples per pack (PacGAN's m), at least 2.
    """

    def __init__(self, packing=2, **kwargs):
        super().__init__(**kwargs)
        self.packing = _packing_factor(packing)

    def call(self, inputs):
        if inputs.shape[0] is not None and inputs.shape[0] % self.packing:
            raise ValueError(
                f"Pack({self.packing}) needs a batch that is a multiple of "
                f"{self.packing}, got a batch of {inputs.shape[0]}."
            )
        n = ops.shape(inputs)[0]
        # A batch size known only when the graph runs is checked then.
        tf.debugging.assert_equal(
            n % self.packing,
            0,
            message=f"Pack({self.packing}) needs a batch that is a multiple of "
            f"{self.packing}",
        )
        return ops.reshape(inputs, (-1, self.packing * _size(inputs.shape[1:])))

    def compute_output_shape(self, input_shape):
        return (None, self.packing * _size(input_shape[1:]))

    def get_config(self):
        return super().get_config() | {"packing": self.packing}


@keras.saving.register_keras_serializable(package="keras_gen")
class Unpack(keras.layers.Layer):
    """The inverse of `Pack` for scores: each pack's row repeated `packing`
    times, `[N / packing, K]` -> `[N, K]`, in the order `Pack` took them."""

    def __init__(self, packing=2, **kwargs):
        super().__init__(**kwargs)
        self.packing = _packing_factor(packing)

    def call(self, inputs):
        return ops.repeat(inputs, self.packing, axis=0)

    def compute_output_shape(self, input_shape):
        return (None, *input_shape[1:])

    def get_config(self):
        return super().get_config() | {"packing": self.packing}


def _size(shape):
    size = 1
    for d in shape:
        if d is None:
            raise ValueError(f"Pack needs a fully known example shape, got {shape}.")
        size *= int(d)
    return size
