"""GAN losses as per-example vectors, from discriminator logits or critic scores.

Every function returns a `[B]` tensor; a train step reduces it with
`keras_gen.distribute.average_loss` (sum over the global batch), as DESIGN.md asks.
Discriminators output logits l, D = sigmoid(l), so log D = -softplus(-l) and
log(1 - D) = -softplus(l) stay finite where D saturates.

Reference:
    Goodfellow et al., "Generative adversarial nets", NIPS 2014 (minimax and the
    non-saturating "modified" generator loss); Arjovsky et al. 2017 and Gulrajani et
    al. 2017 (Wasserstein, gradient penalty); Mao et al. 2017 (least squares).
"""

import keras
import tensorflow as tf
from keras import ops

from . import distribute


def _check_pair(real, fake):
    real, fake = ops.convert_to_tensor(real), ops.convert_to_tensor(fake)
    if tuple(real.shape) != tuple(fake.shape):
        raise ValueError(
            "real and fake outputs must have the same shape (m real and m generated "
            f"examples per step), got {tuple(real.shape)} and {tuple(fake.shape)}."
        )
    return _flat(real), _flat(fake)


def _flat(values):
    values = ops.convert_to_tensor(values)
    return ops.reshape(values, (ops.shape(values)[0],))


def minimax_discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """-[log D(x) + log(1 - D(G(z)))] per example pair (the discriminator ascends V).

    Args:
        real_logits: `[B]` or `[B, 1]` logits on real examples.
        fake_logits: Same shape, on generated examples.
        label_smoothing: One-sided smoothing: real targets are 1 - alpha, fake stay 0
            (Salimans et al. 2016).
    """
    if not 0 <= label_smoothing < 1:
        raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}.")
    real, fake = _check_pair(real_logits, fake_logits)
    target = 1.0 - label_smoothing
    real_term = target * ops.softplus(-real) + (1.0 - target) * ops.softplus(real)
    return real_term + ops.softplus(fake)


def minimax_generator_loss(fake_logits):
    """log(1 - D(G(z))): the 2014 generator objective, saturating when D wins."""
    return -ops.softplus(_flat(fake_logits))


def modified_generator_loss(fake_logits):
    """-log D(G(z)): the non-saturating generator loss, strong gradients early on."""
    return ops.softplus(-_flat(fake_logits))


def wasserstein_discriminator_loss(real_scores, fake_scores):
    """Critic loss f(G(z)) - f(x): the critic maximizes f(x) - f(G(z))."""
    real, fake = _check_pair(real_scores, fake_scores)
    return fake - real


def wasserstein_generator_loss(fake_scores):
    """-f(G(z))."""
    return -_flat(fake_scores)


def least_squares_discriminator_loss(real_outputs, fake_outputs):
    """1/2 (D(x) - 1)^2 + 1/2 D(G(z))^2 on raw outputs (LSGAN, a = 0, b = c = 1)."""
    real, fake = _check_pair(real_outputs, fake_outputs)
    return 0.5 * ops.square(real - 1.0) + 0.5 * ops.square(fake)


def least_squares_generator_loss(fake_outputs):
    """1/2 (D(G(z)) - 1)^2."""
    return 0.5 * ops.square(_flat(fake_outputs) - 1.0)


def gradient_penalty(critic, real, fake, seed=None):
    """(||grad_x f(x_hat)||_2 - 1)^2 per example, x_hat between real and fake.

    Args:
        critic: Callable from a batch of examples to scores `[B]` or `[B, 1]`.
        real: Real batch.
        fake: Generated batch of the same shape.
        seed: int, `None` or a `keras.random.SeedGenerator` for the mixing weights.

    Returns:
        `[B]` penalties (WGAN-GP multiplies their mean by lambda = 10).
    """
    real = ops.convert_to_tensor(real)
    fake = ops.cast(ops.convert_to_tensor(fake), real.dtype)
    if tuple(real.shape) != tuple(fake.shape):
        raise ValueError(
            f"real and fake batches must have the same shape, got {tuple(real.shape)} "
            f"and {tuple(fake.shape)}."
        )
    batch = ops.shape(real)[0]
    mix_shape = (batch,) + (1,) * (len(real.shape) - 1)
    eps = keras.random.uniform(mix_shape, dtype=real.dtype, seed=seed)
    x_hat = eps * real + (1.0 - eps) * fake
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        scores = critic(x_hat)
    grads = tape.gradient(scores, x_hat)
    # Not ops.norm: the norm's gradient at a zero vector is NaN; the 1e-12 keeps it
    # finite (a critic whose gradient vanishes at x_hat).
    norms = ops.sqrt(ops.sum(ops.square(ops.reshape(grads, (batch, -1))), -1) + 1e-12)
    return ops.square(norms - 1.0)


def reconstruction_terms(x, params, likelihood="bernoulli"):
    """Per-example reconstruction terms of a decoder's output `params` for `x`.

    Args:
        x: Inputs `[B, ...]`.
        params: Decoder outputs of the same shape: logits (`"bernoulli"`) or the
            mean of N(mean, I) (`"gaussian"`).
        likelihood: `"bernoulli"` or `"gaussian"`.

    Returns:
        Dict of `[B]` vectors in float32: `loss`, the negative log-likelihood
        summed over the pixels (Bernoulli: binary cross-entropy, also as `bce`;
        Gaussian: half the squared error, the constant dropped), and `mse`, the
        squared error of the reconstruction averaged over the pixels.
    """
    params = tf.cast(params, "float32")
    x = tf.cast(x, "float32")
    axes = tuple(range(1, len(x.shape)))
    recon = ops.sigmoid(params) if likelihood == "bernoulli" else params
    terms = {"mse": ops.mean(ops.square(recon - x), axis=axes)}
    if likelihood == "bernoulli":
        bce = ops.sum(ops.binary_crossentropy(x, params, from_logits=True), axis=axes)
        terms["bce"] = bce
        terms["loss"] = bce
    else:
        terms["loss"] = 0.5 * ops.sum(ops.square(params - x), axis=axes)
    return terms


def feature_matching_loss(real_features, fake_features, real_weights=None):
    """||E_x f(x) - E_z f(G(z))||^2 over a minibatch (Salimans et al. 2016, 3.1),
    given as a `[m]` vector of that value, so that `distribute.average_loss` of it
    is the value. Under a strategy both means are over the global batch
    (`distribute.batch_mean`), so N replicas descend what one device would. The real
    features are constants. `real_weights` `[batch]` (0/1, say) makes E_x f(x) a
    weighted mean over the real examples (the semi-supervised GAN's unlabelled
    ones)."""
    real = tf.stop_gradient(tf.cast(real_features, "float32"))
    fake = tf.cast(fake_features, "float32")
    m = ops.shape(fake)[0]
    real = ops.reshape(real, (ops.shape(real)[0], -1))
    fake = ops.reshape(fake, (m, -1))
    if real_weights is None:
        real_mean = distribute.batch_mean(real)
    else:
        w = tf.reshape(tf.cast(real_weights, "float32"), (-1, 1))
        # Both sums over the global batch, so every replica has the same mean.
        real_mean = distribute.batch_mean(real * w) / tf.maximum(
            distribute.global_mean(w), 1e-6
        )
    value = ops.sum(ops.square(real_mean - distribute.batch_mean(fake)))
    return value * ops.ones((m,))


def _log_partition(class_logits):
    return tf.reduce_logsumexp(tf.cast(class_logits, "float32"), axis=-1)


def k_plus_one_real_loss(class_logits):
    """-log D(x) per example for a K-class discriminator whose K+1-th ("fake")
    logit is fixed at 0 (Salimans et al. 2016, section 5): D(x) = Z / (Z + 1),
    Z = sum_k exp(l_k), so -log D(x) = log(1 + 1/Z) = softplus(-log Z). (Written
    as softplus(log Z) - log Z it cancels to 0 in float32 once log Z passes about
    17, where the loss is still about 4e-8.)"""
    return tf.nn.softplus(-_log_partition(class_logits))


def k_plus_one_fake_loss(class_logits):
    """-log(1 - D(G(z))) per example for the same discriminator: softplus(log Z)."""
    return tf.nn.softplus(_log_partition(class_logits))


def labelled_cross_entropy(labels, logits):
    """The cross-entropy of a batch's labelled examples, as per-example terms.

    Labels are class indices, or -1 for an unlabelled example (as
    `keras_gen.data.load_semi_supervised` gives them). Returns `(terms, ce,
    labelled)`: `terms`, whose batch mean is the mean cross-entropy of the
    labelled examples (0 for the unlabelled ones, the rest scaled by the batch's
    share of labelled examples), the per-example cross-entropy `ce`, and the 0/1
    mask `labelled`, which a tracker takes as the weights of a weighted mean.
    """
    labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
    labelled = ops.cast(labels >= 0, "float32")
    ce = keras.losses.sparse_categorical_crossentropy(
        ops.maximum(labels, 0), logits, from_logits=True
    )
    # The share of the global batch: every replica must divide by the same one.
    share = ops.maximum(distribute.global_mean(labelled), 1e-6)
    return ce * labelled / share, ce, labelled
