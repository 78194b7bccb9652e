"""Builders for the encoders, decoders, generators and discriminators of the zoo.

Every builder returns a functional `keras.Model` with a fixed input shape, so a
model that owns it is built as soon as it is constructed. Shapes exclude the batch
axis. Convolutional builders take any `(H, W, C)` whose height and width are divisible
by `2 ** len(filters)`.
"""

import math

import keras
from keras import layers

from ..layers import Maxout, MinibatchDiscrimination
from .shapes import check_conv_shape, noise_std
from .shapes import checked_shape as _shape
from .shapes import positive_int as _positive

LIKELIHOODS = ("bernoulli", "gaussian")


def synced_batch_norm(**kwargs):
    """`keras.layers.BatchNormalization` with statistics over the global batch
    (`synchronized=True`): on N replicas of a `tf.distribute` strategy a layer
    normalizes with the mean and variance of all N shards, as one device would with
    the whole batch (tests/harness.py `check_distributed_step`). Keras' default,
    each replica's own statistics, makes a 2-GPU step differ from the 1-GPU step.
    The cost is three all-reduces of one vector per layer and step."""
    return layers.BatchNormalization(synchronized=True, **kwargs)


def mlp_encoder(
    input_shape,
    output_dim,
    hidden_units=(512, 256),
    activation="relu",
    output_activation=None,
    num_classes=None,
    name="encoder",
):
    """Dense encoder: flatten, hidden `Dense` layers, a `Dense(output_dim)` head.

    Args:
        input_shape: Shape of one example, e.g. `(28, 28, 1)`.
        output_dim: Width of the output (code size, or 2x for mean and scale).
        hidden_units: Widths of the hidden layers.
        activation: Hidden activation.
        output_activation: Activation of the head (`None` is linear).
        num_classes: If set, a second input of integer labels `[B, 1]`, one-hot and
            concatenated with the flattened example (conditional VAE).
        name: Model name.

    Returns:
        A functional `keras.Model` mapping `[B, *input_shape]` (or `[x, labels]`)
        to `[B, output_dim]`.
    """
    inputs = keras.Input(_shape(input_shape, "input_shape"))
    h = layers.Flatten()(inputs)
    if num_classes:
        labels, one_hot = _label_input(num_classes)
        inputs, h = [inputs, labels], layers.Concatenate()([h, one_hot])
    for units in hidden_units:
        h = layers.Dense(_positive(units, "hidden_units"), activation=activation)(h)
    outputs = layers.Dense(
        _positive(output_dim, "output_dim"), activation=output_activation
    )(h)
    return keras.Model(inputs, outputs, name=name)


def mlp_decoder(
    latent_dim,
    output_shape,
    hidden_units=(256, 512),
    activation="relu",
    output_activation=None,
    batch_norm=False,
    num_classes=None,
    name="decoder",
):
    """Dense decoder (or generator): hidden `Dense` layers, then a reshaped head.

    Args:
        latent_dim: Size of the code fed in.
        output_shape: Shape of one generated example, e.g. `(28, 28, 1)`.
        hidden_units: Widths of the hidden layers.
        activation: Hidden activation.
        output_activation: Activation of the head (`None` gives logits or means).
        batch_norm: Batch normalization after each hidden layer (generators).
        num_classes: If set, a second input of integer labels `[B, 1]`, one-hot and
            concatenated with the code (conditional VAE).
        name: Model name.

    Returns:
        A functional `keras.Model` mapping `[B, latent_dim]` (or `[z, labels]`) to
        `[B, *output_shape]`.
    """
    output_shape = _shape(output_shape, "output_shape")
    inputs = keras.Input((_positive(latent_dim, "latent_dim"),))
    h = inputs
    if num_classes:
        labels, one_hot = _label_input(num_classes)
        inputs, h = [inputs, labels], layers.Concatenate()([h, one_hot])
    for units in hidden_units:
        h = layers.Dense(_positive(units, "hidden_units"), activation=activation)(h)
        if batch_norm:
            h = synced_batch_norm()(h)
    h = layers.Dense(math.prod(output_shape), activation=output_activation)(h)
    outputs = layers.Reshape(output_shape)(h)
    return keras.Model(inputs, outputs, name=name)


def conv_encoder(
    input_shape,
    output_dim,
    filters=(32, 64),
    kernel_size=4,
    activation="leaky_relu",
    batch_norm=False,
    dense_units=None,
    output_activation=None,
    name="encoder",
    minibatch=None,
):
    """Convolutional encoder (or discriminator): stride-2 convolutions, a dense head.

    Args:
        input_shape: `(H, W, C)` with H and W divisible by `2 ** len(filters)`.
        output_dim: Width of the output.
        filters: Filters of each stride-2 convolution.
        kernel_size: Kernel size of the convolutions.
        activation: Activation after each convolution.
        batch_norm: Batch normalization after every convolution but the first.
        dense_units: Optional hidden dense layer before the head.
        output_activation: Activation of the head.
        name: Model name.
        minibatch: `(num_kernels, kernel_dim)` of a `MinibatchDiscrimination`
            layer before the head (Salimans et al. 2016), or None.

    Returns:
        A functional `keras.Model` mapping `[B, H, W, C]` to `[B, output_dim]`.
    """
    input_shape = check_conv_shape(
        input_shape, len(filters), f"conv_encoder(filters={tuple(filters)})"
    )
    inputs = keras.Input(input_shape)
    h = inputs
    for i, f in enumerate(filters):
        h = layers.Conv2D(f, kernel_size, strides=2, padding="same")(h)
        if batch_norm and i > 0:
            h = synced_batch_norm()(h)
        h = layers.Activation(activation)(h)
    h = layers.Flatten()(h)
    if dense_units:
        h = layers.Dense(dense_units, activation=activation)(h)
    h = _minibatch_features(h, minibatch)
    outputs = layers.Dense(
        _positive(output_dim, "output_dim"), activation=output_activation
    )(h)
    return keras.Model(inputs, outputs, name=name)


def conv_decoder(
    latent_dim,
    output_shape,
    filters=(64, 32),
    kernel_size=4,
    activation="relu",
    batch_norm=False,
    output_activation=None,
    name="decoder",
):
    """Convolutional decoder (or generator): dense to a small map, transposed convs.

    The map starts at `(H / 2**n, W / 2**n, filters[0])` with `n = len(filters)`; each
    stride-2 transposed convolution doubles it and a final 3x3 convolution gives the
    `C` output channels.

    Args:
        latent_dim: Size of the code fed in.
        output_shape: `(H, W, C)` with H and W divisible by `2 ** len(filters)`.
        filters: Filters of each transposed convolution.
        kernel_size: Kernel size of the transposed convolutions.
        activation: Hidden activation.
        batch_norm: Batch normalization after the dense and each transposed conv.
        output_activation: Activation of the output (`None` gives logits or means).
        name: Model name.

    Returns:
        A functional `keras.Model` mapping `[B, latent_dim]` to `[B, H, W, C]`.
    """
    output_shape = check_conv_shape(
        output_shape,
        len(filters),
        f"conv_decoder(filters={tuple(filters)})",
        "output_shape",
    )
    factor = 2 ** len(filters)
    start = (output_shape[0] // factor, output_shape[1] // factor, filters[0])
    inputs = keras.Input((_positive(latent_dim, "latent_dim"),))
    h = layers.Dense(math.prod(start))(inputs)
    if batch_norm:
        h = synced_batch_norm()(h)
    h = layers.Activation(activation)(h)
    h = layers.Reshape(start)(h)
    for f in filters:
        h = layers.Conv2DTranspose(f, kernel_size, strides=2, padding="same")(h)
        if batch_norm:
            h = synced_batch_norm()(h)
        h = layers.Activation(activation)(h)
    outputs = layers.Conv2D(
        output_shape[-1], 3, padding="same", activation=output_activation
    )(h)
    return keras.Model(inputs, outputs, name=name)


def mlp_generator(latent_dim, output_shape, hidden_units=(1200, 1200), **kwargs):
    """Dense generator: `mlp_decoder` with a sigmoid output by default."""
    kwargs.setdefault("output_activation", "sigmoid")
    kwargs.setdefault("name", "generator")
    return mlp_decoder(latent_dim, output_shape, hidden_units, **kwargs)


def mlp_discriminator(input_shape, hidden_units=(512, 256), **kwargs):
    """Dense discriminator: `mlp_encoder` with one logit out."""
    kwargs.setdefault("activation", "leaky_relu")
    kwargs.setdefault("name", "discriminator")
    return mlp_encoder(input_shape, 1, hidden_units, **kwargs)


def conv_generator(latent_dim, output_shape, filters=(128, 64), **kwargs):
    """DCGAN-style generator: `conv_decoder` with batch norm and a sigmoid output."""
    kwargs.setdefault("batch_norm", True)
    kwargs.setdefault("output_activation", "sigmoid")
    kwargs.setdefault("name", "generator")
    return conv_decoder(latent_dim, output_shape, filters, **kwargs)


def conv_discriminator(input_shape, filters=(64, 128), **kwargs):
    """DCGAN-style discriminator: `conv_encoder` with LeakyReLU and one logit out."""
    kwargs.setdefault("name", "discriminator")
    return conv_encoder(input_shape, 1, filters, **kwargs)


def _minibatch_features(h, minibatch):
    """`h` with minibatch features appended (`minibatch=(B, C)`), or `h`."""
    if minibatch is None:
        return h
    try:
        num_kernels, kernel_dim = minibatch
    except (TypeError, ValueError) as err:
        raise ValueError(
            "minibatch_discrimination must be (num_kernels, kernel_dim), got "
            f"{minibatch!r}."
        ) from err
    return MinibatchDiscrimination(num_kernels, kernel_dim, name="minibatch")(h)


def _label_input(num_classes):
    # Integer class ids in, one-hot vectors out (serializable, no Lambda layer).
    labels = keras.Input((1,), dtype="int32", name="labels")
    one_hot = layers.CategoryEncoding(
        _positive(num_classes, "num_classes"), output_mode="one_hot"
    )(labels)
    return labels, one_hot


def gan_mlp_generator(
    latent_dim,
    output_shape,
    hidden_units=(1200, 1200),
    activation="relu",
    batch_norm=False,
    num_classes=None,
    name="generator",
):
    """Dense GAN generator, z (and optionally a class label) to a sigmoid image.

    Args:
        latent_dim: Size of the noise vector z.
        output_shape: Shape of one generated example.
        hidden_units: Widths of the hidden layers (the GAN paper: 1200, 1200).
        activation: Hidden activation (the paper: ReLU).
        batch_norm: Batch normalization after each hidden layer.
        num_classes: If set, a second input of integer labels `[B, 1]`, one-hot and
            concatenated with z (conditional GAN, Mirza and Osindero 2014).
        name: Model name.

    Returns:
        A functional `keras.Model`: `z` (or `[z, labels]`) to `[B, *output_shape]`.
    """
    output_shape = _shape(output_shape, "output_shape")
    z = keras.Input((_positive(latent_dim, "latent_dim"),), name="z")
    inputs, h = z, z
    if num_classes:
        labels, one_hot = _label_input(num_classes)
        inputs, h = [z, labels], layers.Concatenate()([h, one_hot])
    for units in hidden_units:
        h = layers.Dense(_positive(units, "hidden_units"), activation=activation)(h)
        if batch_norm:
            h = synced_batch_norm()(h)
    h = layers.Dense(math.prod(output_shape), activation="sigmoid")(h)
    return keras.Model(inputs, layers.Reshape(output_shape)(h), name=name)


def gan_mlp_discriminator(
    input_shape,
    hidden_units=(240, 240),
    pieces=5,
    input_dropout=0.2,
    hidden_dropout=0.5,
    num_classes=None,
    name="discriminator",
    minibatch=None,
):
    """Dense GAN discriminator of maxout layers with dropout, one logit out.

    Args:
        input_shape: Shape of one example.
        hidden_units: Maxout units per layer (the GAN paper: 240, 240).
        pieces: Linear pieces per maxout unit (the paper: 5); 1 gives LeakyReLU
            dense layers instead.
        input_dropout: Dropout rate on the input (the paper keeps 0.8: rate 0.2).
        hidden_dropout: Dropout rate after each hidden layer (the paper: 0.5).
        num_classes: If set, a second input of integer labels `[B, 1]`, one-hot and
            concatenated with the flattened example.
        name: Model name.
        minibatch: `(num_kernels, kernel_dim)` of a `MinibatchDiscrimination`
            layer before the logit, or None.

    Returns:
        A functional `keras.Model`: `x` (or `[x, labels]`) to logits `[B, 1]`.
    """
    x = keras.Input(_shape(input_shape, "input_shape"), name="x")
    inputs, h = x, layers.Flatten()(x)
    if num_classes:
        labels, one_hot = _label_input(num_classes)
        inputs, h = [x, labels], layers.Concatenate()([h, one_hot])
    h = layers.Dropout(input_dropout)(h)
    for units in hidden_units:
        units = _positive(units, "hidden_units")
        if pieces > 1:
            h = Maxout(units, pieces)(h)
        else:
            h = layers.Dense(units, activation="leaky_relu")(h)
        h = layers.Dropout(hidden_dropout)(h)
    h = _minibatch_features(h, minibatch)
    return keras.Model(inputs, layers.Dense(1)(h), name=name)


def input_range_of(likelihood):
    """The input range a reconstruction likelihood needs ([0, 1] for Bernoulli)."""
    if likelihood not in LIKELIHOODS:
        raise ValueError(
            f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}."
        )
    return (0.0, 1.0) if likelihood == "bernoulli" else None


def noisy_mlp_encoder(input_shape, noise_dim, output_dim, hidden_units, activation):
    """The universal-approximator posterior's encoder: `[x, eta]` -> z, with the
    noise eta `[B, noise_dim]` concatenated with the flattened example."""
    x = keras.Input(tuple(input_shape), name="x")
    eta = keras.Input((int(noise_dim),), name="eta")
    h = layers.Concatenate()([layers.Flatten()(x), eta])
    for units in hidden_units:
        h = layers.Dense(int(units), activation=activation)(h)
    return keras.Model([x, eta], layers.Dense(int(output_dim))(h), name="encoder")


def code_discriminator(
    code_dim, hidden_units, num_classes=None, name="discriminator", input_noise=0.0
):
    """Dense discriminator of codes: z (and an integer label `[B, 1]`, one-hot)
    through ReLU layers to one logit. `input_noise` > 0 adds Gaussian noise of that
    standard deviation to the code while training (`keras.layers.GaussianNoise`),
    so that the discriminator cannot tell codes apart by differences smaller
    than the noise (e.g. a softmax output of 0.97 from an exact one-hot)."""
    z = keras.Input((int(code_dim),), name="z")
    inputs, h = z, z
    input_noise = noise_std(input_noise, "input_noise")
    if input_noise > 0:
        h = layers.GaussianNoise(input_noise, name="input_noise")(h)
    if num_classes:
        labels, one_hot = _label_input(num_classes)
        inputs, h = [z, labels], layers.Concatenate()([h, one_hot])
    for units in hidden_units:
        h = layers.Dense(int(units), activation="relu")(h)
    return keras.Model(inputs, layers.Dense(1)(h), name=name)
