"""Checks of the example shapes models and their default networks are built for.

Dense networks take any shape; convolutional ones need images `(H, W, C)` whose
height and width fit their stride-2 (or pooling) layers. The errors say which
sizes work and how to resize (`image_size=` of `keras_gen.data.load` and
`from_arrays`, `--image-size` of `keras-gen train`).
"""

import math
import numbers


def checked_shape(value, name="input_shape"):
    """`value` as a non-empty tuple of positive ints, or a clear error.

    Raises:
        TypeError: `value` is not a sequence of integers.
        ValueError: it is empty or holds a size below 1.
    """
    message = f"{name} must be a tuple of ints such as (28, 28, 1), got {value!r}."
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise TypeError(message)
    shape = tuple(value)
    if not all(_is_int(d) for d in shape):
        raise TypeError(message)
    shape = tuple(int(d) for d in shape)
    if not shape or any(d < 1 for d in shape):
        raise ValueError(f"{name} must be non-empty positive ints, got {shape}.")
    return shape


def _is_int(d):
    # An int (numpy's too) or an integral float such as 28.0; not a bool.
    if isinstance(d, bool):
        return False
    return isinstance(d, numbers.Integral) or (
        isinstance(d, numbers.Real) and float(d).is_integer()
    )


def positive_int(value, name):
    """`value` as an int >= 1, else a `TypeError` (not a number: a string from an
    edited config, say) or `ValueError` naming `name`."""
    if isinstance(value, bool | str | bytes) or not hasattr(value, "__int__"):
        raise TypeError(
            f"{name} must be a positive integer, got {value!r} "
            f"({type(value).__name__})."
        )
    if int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def noise_std(value, name):
    """`value` as a finite float >= 0 (a noise standard deviation), else a
    `TypeError` (not a number) or `ValueError` naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a number >= 0, got {value!r} ({type(value).__name__})."
        )
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}.")
    return float(value)


def nearest_multiple(size, factor):
    """The multiple of `factor` nearest `size` (ties go up), at least `factor`."""
    below = size // factor * factor
    above = below + factor
    return max(factor, below if size - below < above - size else above)


def resize_hint(height, width):
    """How to resize images to `(height, width)` when loading them."""
    return (
        f"resize the images, e.g. image_size=({height}, {width}) in "
        f"keras_gen.data.load or from_arrays (--image-size {height} {width} on the "
        "command line)"
    )


def check_image_shape(shape, owner, name="input_shape"):
    """A `ValueError` unless `shape` is `(H, W, C)`; `owner` names who needs it."""
    shape = checked_shape(shape, name)
    if len(shape) == 3:
        return shape
    if len(shape) == 2:
        fix = f"give grey images a channel axis: {name}={(*shape, 1)}"
    else:
        fix = "use dense networks for such data (network='mlp', GAN, VAE, AAE, ...)"
    raise ValueError(f"{owner} needs images (H, W, C), got {name} {shape}; {fix}.")


def check_conv_shape(shape, depth, owner, name="input_shape"):
    """A `ValueError` unless `shape` is `(H, W, C)` with H and W divisible by
    `2 ** depth` (what `depth` stride-2 layers down or up need).

    Args:
        shape: The example shape.
        depth: Number of stride-2 layers.
        owner: Who needs it, e.g. `"DCGAN's default generator (filters=(64, 32))"`.
        name: What the shape is called in the message.

    Returns:
        The shape as a tuple.
    """
    shape = check_image_shape(shape, owner, name)
    factor = 2**depth
    if shape[0] % factor or shape[1] % factor:
        height, width = (nearest_multiple(d, factor) for d in shape[:2])
        raise ValueError(
            f"{owner} has {depth} stride-2 layers, so it needs height and width "
            f"divisible by 2**{depth}={factor}; got {name} {shape}. Sizes that "
            f"work are multiples of {factor}: {resize_hint(height, width)}, or use "
            "fewer filters."
        )
    return shape


def check_pooled_shape(shape, depth, owner):
    """A `ValueError` unless `shape` is `(H, W, C)` with H and W at least
    `2 ** depth`, what `depth` 2x2 poolings (floor division) need."""
    shape = check_image_shape(shape, owner)
    least = 2**depth
    if min(shape[:2]) < least:
        height, width = (max(d, least) for d in shape[:2])
        raise ValueError(
            f"{owner} has {depth} 2x2 poolings, so it needs height and width of at "
            f"least 2**{depth}={least}; got input_shape {shape}: "
            f"{resize_hint(height, width)}, or use fewer filters."
        )
    return shape
