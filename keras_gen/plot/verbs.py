"""What the pictures ask of a model, by its verbs alone (no model class is named).

Every keras_gen model that samples has `sample(n, labels=None)`; those that encode
have `encode(x)` and `decode(z)` (a VAE's are distributions: their means are taken);
those that reconstruct have `reconstruct(x)`; conditional ones (`takes_labels`)
take labels in each. A model without the verb a picture needs gets a `ValueError`
naming the verb.
"""

import inspect

import numpy as np

# The name Keras gives the state variable of every `keras.random.SeedGenerator`.
SEED_STATE = "seed_generator_state"
CHUNK = 1000


def check_count(value, name):
    """`value` as an int, or a `ValueError` unless it is a positive integer."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def require(model, verbs, picture):
    """A `ValueError` unless `model` has every method in `verbs`."""
    missing = [v for v in verbs if not callable(getattr(model, v, None))]
    if missing:
        raise ValueError(
            f"{picture} needs a model with {' and '.join(verbs)}; "
            f"{type(model).__name__} has no {' and no '.join(missing)}."
        )


def check_images(model, x, name, picture):
    """`x` as a float32 batch of the model's example shape, or a `ValueError`."""
    x = np.asarray(x, dtype=np.float32)
    shape = getattr(model, "data_shape", None)
    if shape is not None and (x.ndim != len(shape) + 1 or x.shape[1:] != shape):
        raise ValueError(
            f"{picture} expected {name} of shape (batch, {', '.join(map(str, shape))})"
            f" for {type(model).__name__}, got {x.shape}."
        )
    if len(x) == 0:
        raise ValueError(f"{picture} expected at least one image in {name}, got 0.")
    return x


def as_images(out):
    """Numpy images from a decoder's output (a distribution gives its mean)."""
    if callable(getattr(out, "log_prob", None)) and callable(
        getattr(out, "mean", None)
    ):
        out = out.mean()
    return np.asarray(out, dtype=np.float32)


def unit_range(model, images, value_range=None):
    """`images` mapped from `value_range` (default the model's `input_range`, or
    [0, 1] when it has none) to [0, 1] for display."""
    low, high = value_range or getattr(model, "input_range", None) or (0.0, 1.0)
    return (np.asarray(images, np.float32) - low) / (high - low)


def class_labels(model, n, labels):
    """The labels to draw `n` examples with: `labels` as given; for a model that
    takes labels and got none, its classes in turn (0, 1, ..., 0, 1, ...)."""
    conditional = getattr(model, "conditional_sampling", False)
    if labels is None and conditional and model.num_classes:
        return np.arange(n) % model.num_classes
    return labels


def _accepts_labels(method):
    try:
        return "labels" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def _with_labels(method, args, labels):
    if labels is not None and _accepts_labels(method):
        return method(*args, labels)
    return method(*args)


def encode(model, x, labels=None):
    """Codes `[B, latent_dim]` of `x` (a distribution's mean), in chunks."""
    require(model, ("encode",), "Encoding")
    out = []
    for i in range(0, len(x), CHUNK):
        part = None if labels is None else np.asarray(labels)[i : i + CHUNK]
        code = _with_labels(model.encode, (x[i : i + CHUNK],), part)
        out.append(as_images(code).reshape(len(x[i : i + CHUNK]), -1))
    return np.concatenate(out)


def decode(model, z, labels=None):
    """Images decoded from codes `z` (a distribution's mean)."""
    require(model, ("decode",), "Decoding")
    return as_images(_with_labels(model.decode, (np.asarray(z, np.float32),), labels))


def reconstruct(model, x, labels=None):
    """Reconstructions of `x` (conditional models given `labels`)."""
    require(model, ("reconstruct",), "Reconstruction")
    return as_images(_with_labels(model.reconstruct, (x,), labels))


def replayed(model, seed, draw):
    """`draw()` with every random stream of `model` set to a state fixed by `seed`,
    then put back: the same draws on every call, and training's own random numbers
    unchanged by it."""
    states = [v for v in model.variables if v.name == SEED_STATE]
    saved = [np.asarray(v.numpy()) for v in states]
    starts = np.random.default_rng(seed).integers(0, 2**31 - 1, len(states))
    try:
        for variable, start in zip(states, starts, strict=True):
            variable.assign(np.array([start, 0], dtype=saved[0].dtype))
        return draw()
    finally:
        for variable, value in zip(states, saved, strict=True):
            variable.assign(value)


def fixed_noise(model, n, seed):
    """The model's own noise vectors `[n, latent_dim]` from `seed`, or None for a
    model that does not expose its noise (`noise_batch` and `generate`)."""
    if callable(getattr(model, "noise_batch", None)) and callable(
        getattr(model, "generate", None)
    ):
        return np.asarray(model.noise_batch(n, seed=seed))
    return None


def draw_samples(model, n, labels=None, seed=None, noise=None):
    """`n` samples of `model` as numpy images (in the model's own value range).

    Args:
        model: A model with `sample(n, labels=None)`.
        n: How many.
        labels: One class or `n` classes for a conditional model (default: its
            classes in turn); an unconditional model takes none.
        seed: None for fresh draws; an int for the same draws on every call: the
            model's noise from `noise_batch(n, seed)` decoded with `generate` where
            it has them (GANs, adversarial autoencoders), else `sample` with the
            model's random streams set from `seed` and put back afterwards.
        noise: Noise vectors to decode with `generate` (overrides `seed`).

    Returns:
        Float32 `[n, *input_shape]`.
    """
    require(model, ("sample",), "Sampling")
    n = check_count(n, "n")
    labels = class_labels(model, n, labels)
    if noise is None and seed is not None:
        noise = fixed_noise(model, n, seed)
    if noise is not None:
        return as_images(model.generate(noise, labels))

    def draw():
        return model.sample(n) if labels is None else model.sample(n, labels)

    try:
        return as_images(draw() if seed is None else replayed(model, seed, draw))
    except NotImplementedError as err:
        raise ValueError(
            f"Sampling needs a model that samples; {type(model).__name__} does not."
        ) from err
