"""Layers and tensor transforms the models share: Maxout, corruptions, shift/rotate,
and (from `gan_layers`) minibatch discrimination and virtual batch normalization.

A leaf module: it imports only the leaf `gan_layers`, so models, data and everything
else may import it.
"""

import keras
import tensorflow as tf
from keras import ops

from .gan_layers import MinibatchDiscrimination as MinibatchDiscrimination
from .gan_layers import Pack as Pack
from .gan_layers import Unpack as Unpack
from .gan_layers import VirtualBatchNormalization as VirtualBatchNormalization
from .gan_layers import WeightNormDense as WeightNormDense
from .gan_layers import data_init_weight_norm as data_init_weight_norm
from .gan_layers import set_reference_batch as set_reference_batch

CORRUPTIONS = ("gaussian", "masking", "salt_and_pepper")


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


# -- corruptions -----------------------------------------------------------------


def check_corruption(kind, level, argument="level"):
    """Raises ValueError unless `kind` is one of `CORRUPTIONS` and `level` fits it.

    Args:
        kind: `"gaussian"`, `"masking"` or `"salt_and_pepper"`.
        level: sigma >= 0 for `"gaussian"`, a fraction in [0, 1] otherwise.
        argument: The caller's name for `level`, used in the error message.
    """
    if kind not in CORRUPTIONS:
        raise ValueError(
            f"corruption must be one of {', '.join(CORRUPTIONS)}; got {kind!r}."
        )
    if kind == "gaussian" and not level >= 0:
        raise ValueError(f"{argument}: sigma must be >= 0, got {level!r}.")
    if kind != "gaussian" and not 0 <= level <= 1:
        raise ValueError(
            f"{argument}: fraction must be in [0, 1] for {kind} noise, got {level!r}."
        )


def apply_corruption(x, kind, level, uniform, normal):
    """Corrupts `x` with noise from the given draw functions (arguments unchecked).

    The one definition of each corruption: `corrupt` draws with `keras.random`,
    `keras_gen.data.corruption_map` with stateless `tf.random` ops.

    Args:
        x: Float tensor.
        kind: One of `CORRUPTIONS` (see `check_corruption`).
        level: sigma for "gaussian", the fraction of pixels otherwise.
        uniform: `uniform(shape, dtype)` -> U[0, 1) draws.
        normal: `normal(shape, dtype)` -> N(0, 1) draws.

    Returns:
        The corrupted tensor, same shape and dtype.
    """
    shape = ops.shape(x)
    if kind == "gaussian":
        return x + level * normal(shape, x.dtype)
    u = uniform(shape, x.dtype)
    if kind == "masking":
        return ops.where(u >= level, x, ops.zeros_like(x))
    # u < level/2 -> 0 (pepper), level/2 <= u < level -> 1 (salt), else unchanged.
    return ops.where(u < level, ops.cast(u >= level / 2, x.dtype), x)


def _keras_draws(seed):
    return (
        lambda shape, dtype: keras.random.uniform(shape, seed=seed, dtype=dtype),
        lambda shape, dtype: keras.random.normal(shape, seed=seed, dtype=dtype),
    )


def gaussian_noise(x, sigma, seed=None, clip=False):
    """x + N(0, sigma^2) per pixel; clipped to [0, 1] when `clip`.

    `seed` may be a `keras.random.SeedGenerator` (fresh noise each train step).
    """
    check_corruption("gaussian", sigma, "sigma")
    noisy = apply_corruption(x, "gaussian", sigma, *_keras_draws(seed))
    return ops.clip(noisy, 0.0, 1.0) if clip else noisy


def masking_noise(x, fraction, seed=None):
    """Each pixel independently set to 0 with probability `fraction`."""
    check_corruption("masking", fraction, "fraction")
    return apply_corruption(x, "masking", fraction, *_keras_draws(seed))


def salt_and_pepper(x, fraction, seed=None):
    """Each pixel, with probability `fraction`, set to 0 or 1 with even odds."""
    check_corruption("salt_and_pepper", fraction, "fraction")
    return apply_corruption(x, "salt_and_pepper", fraction, *_keras_draws(seed))


def corrupt(x, kind, level, seed=None):
    """Applies the corruption `kind` ("gaussian", "masking", "salt_and_pepper").

    Args:
        x: Float tensor of images.
        kind: One of `CORRUPTIONS`.
        level: sigma for "gaussian", the fraction of pixels otherwise.
        seed: int, `None` or a `keras.random.SeedGenerator` (inside a train_step).

    Returns:
        The corrupted tensor, same shape.
    """
    check_corruption(kind, level)
    return apply_corruption(x, kind, level, *_keras_draws(seed))


@keras.saving.register_keras_serializable(package="keras_gen")
class Corruption(keras.layers.Layer):
    """Corrupts its input while training (`corrupt`); the identity otherwise.

    Args:
        kind: `"gaussian"`, `"masking"` or `"salt_and_pepper"`.
        level: sigma >= 0 for `"gaussian"`, a fraction in [0, 1] otherwise.
        seed: int or `None`, the seed of the layer's own `SeedGenerator`.
        **kwargs: `keras.layers.Layer` arguments.

    Example:
        >>> dae_encoder = keras.Sequential([Corruption("masking", 0.25), encoder])

    Reference:
        Vincent, Larochelle, Bengio, Manzagol, "Extracting and composing robust
        features with denoising autoencoders", ICML 2008.
    """

    def __init__(self, kind="masking", level=0.25, seed=None, **kwargs):
        super().__init__(**kwargs)
        check_corruption(kind, level)
        self.kind, self.level, self.seed = kind, float(level), seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, x, training=False):
        if not training:
            return x
        return apply_corruption(
            x, self.kind, self.level, *_keras_draws(self.seed_generator)
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return super().get_config() | {
            "kind": self.kind,
            "level": self.level,
            "seed": self.seed,
        }


# -- augmentation ----------------------------------------------------------------

_SHIFT_ROTATE = {}


def _shift_rotate_layers(max_shift, max_rotation, height, width, dtype):
    key = (max_shift, max_rotation, height, width, dtype)
    if key not in _SHIFT_ROTATE:
        # Built once, outside any traced step: each layer creates a seed variable.
        # Its own seed is fixed (0) and never drawn from (the caller's seed is
        # passed on every call): a layer built without one would draw it from the
        # global random state, so the first seeded run of a process would differ
        # from the next (tests/test_determinism.py).
        with tf.init_scope():
            shift = keras.layers.RandomTranslation(
                max_shift / height,
                max_shift / width,
                fill_mode="constant",
                fill_value=0.0,
                dtype=dtype,
                seed=0,
            )
            rotate = keras.layers.RandomRotation(
                max_rotation / 360.0,
                fill_mode="constant",
                fill_value=0.0,
                dtype=dtype,
                seed=0,
            )
        _SHIFT_ROTATE[key] = [
            layer for layer, on in ((shift, max_shift), (rotate, max_rotation)) if on
        ]
    return _SHIFT_ROTATE[key]


# Two Keras layers interpolate twice where the hand-written single affine transform
# (commit 5c7e2a2) did once. Measured, 256 28x28 images, shift 2 px + rotation 10 deg,
# CPU: 9.8 ms a batch inside a tf.function against 7.6 ms (eager: 44 against 17 ms);
# shift std, bound and 0..1 range matched on 4,096 images.
# Why a model that augments with `random_shift_rotate` keeps XLA off.
SHIFT_ROTATE_NO_XLA = (
    "its augmentation (random shifts and rotations) uses ImageProjectiveTransformV3, "
    "which XLA cannot compile"
)


def random_shift_rotate(x, max_shift=0, max_rotation=0.0, seed=None):
    """Moves each image by a random translation, then rotation (zeros fill in).

    `keras.layers.RandomTranslation` then `keras.layers.RandomRotation`, fed the
    given seed: each example draws its own shift, uniform in [-max_shift, max_shift]
    pixels on both axes, and angle, uniform in [-max_rotation, max_rotation] degrees
    about the image centre; pixels come from bilinear interpolation.

    Args:
        x: Float images `[B, H, W, C]`.
        max_shift: Largest translation in pixels, >= 0.
        max_rotation: Largest rotation in degrees, in [0, 180].
        seed: int (the same draws for the same seed), `None` or a
            `keras.random.SeedGenerator` (inside a train_step).

    Returns:
        The moved images, same shape and dtype.

    Example:
        >>> moved = keras_gen.layers.random_shift_rotate(x, max_shift=3, seed=0)
    """
    if not max_shift >= 0:
        raise ValueError(f"max_shift must be >= 0 pixels, got {max_shift!r}.")
    if not 0 <= max_rotation <= 180:
        raise ValueError(
            f"max_rotation must be in [0, 180] degrees, got {max_rotation!r}."
        )
    if ops.ndim(x) != 4:
        raise ValueError(f"expected images [B, H, W, C], got shape {ops.shape(x)}.")
    if not max_shift and not max_rotation:
        return x
    x = ops.convert_to_tensor(x)
    dtype = keras.backend.standardize_dtype(x.dtype)
    if isinstance(seed, int):
        if not tf.executing_eagerly():
            raise ValueError(
                "random_shift_rotate inside a traced function needs a "
                f"keras.random.SeedGenerator as seed, got the int {seed}."
            )
        # A fresh generator per call: an int seed always gives the same draws.
        seed = keras.random.SeedGenerator(seed)
    elif seed is None and tf.executing_eagerly():
        # Random: seeded from the global state (`keras.utils.set_random_seed`).
        seed = keras.random.SeedGenerator()
    for layer in _shift_rotate_layers(
        float(max_shift), float(max_rotation), int(x.shape[1]), int(x.shape[2]), dtype
    ):
        x = layer.transform_images(x, layer.get_random_transformation(x, seed=seed))
    return x
