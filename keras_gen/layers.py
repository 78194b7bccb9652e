"""Layers used by the generative models: Maxout so far."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gen")
class Maxout(keras.layers.Layer):
    """Maxout units: h_j = max_k (x W_jk + b_jk) over `pieces` linear pieces.

    Args:
        units: Output units.
        pieces: Linear pieces per unit (the GAN paper's discriminator uses 5).
        kernel_initializer: Initializer of the `[d, units * pieces]` kernel.
        kernel_constraint: Constraint applied after each update, e.g.
            `keras.constraints.MaxNorm(1.9365, axis=0)` (the GAN paper's limit on
            each piece's weight-vector norm).
        **kwargs: `keras.layers.Layer` arguments.

    Reference:
        Goodfellow, Warde-Farley, Mirza, Courville, Bengio, "Maxout networks",
        ICML 2013.
    """

    def __init__(
        self,
        units,
        pieces=5,
        kernel_initializer="glorot_uniform",
        kernel_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (("units", units), ("pieces", pieces)):
            if isinstance(value, bool) or int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        self.units, self.pieces = int(units), int(pieces)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units * self.pieces),
            initializer=self.kernel_initializer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self.bias = self.add_weight(
            shape=(self.units * self.pieces,), initializer="zeros", name="bias"
        )

    def call(self, x):
        z = ops.matmul(x, self.kernel) + self.bias
        z = ops.reshape(z, (*ops.shape(z)[:-1], self.units, self.pieces))
        return ops.max(z, axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return super().get_config() | {
            "units": self.units,
            "pieces": self.pieces,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
        }
