"""Regularized autoencoders: denoising, contractive and stochastic contractive."""

import keras
import tensorflow as tf
from keras import layers, ops

from ..layers import check_corruption, corrupt, gaussian_noise
from .autoencoder import Autoencoder


def _check_nonnegative(value, name):
    if not value >= 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}.")
    return float(value)


@keras.saving.register_keras_serializable(package="keras_gen")
class DenoisingAutoencoder(Autoencoder):
    """Reconstructs the clean input from a corrupted copy (Vincent et al. 2008).

    Inside `train_step` each example is corrupted `num_corruptions` times with fresh
    seeded noise; the loss is the reconstruction NLL of the *clean* input, averaged
    over the copies (a Monte Carlo estimate of the expected denoising loss).
    Evaluation (`evaluate`, `keras_gen.evaluation`, `anomaly_score`) reconstructs
    clean inputs, so its numbers compare with a plain autoencoder's.

    Args:
        corruption: `"gaussian"` (additive noise, `noise_level` = sigma),
            `"masking"` (`noise_level` = fraction of pixels zeroed) or
            `"salt_and_pepper"` (`noise_level` = fraction set to 0 or 1).
        noise_level: sigma >= 0, or a fraction in [0, 1].
        num_corruptions: Corrupted copies per example, L >= 1.
        **kwargs: `Autoencoder` arguments.

    Example:
        >>> dae = keras_gen.DenoisingAutoencoder(corruption="masking", noise_level=0.25)

    Reference:
        Vincent, Larochelle, Bengio, Manzagol, "Extracting and composing robust
        features with denoising autoencoders", ICML 2008.
    """

    def __init__(
        self, corruption="masking", noise_level=0.25, num_corruptions=1, **kwargs
    ):
        check_corruption(corruption, noise_level, "noise_level")
        if (
            isinstance(num_corruptions, bool)
            or int(num_corruptions) != num_corruptions
            or num_corruptions < 1
        ):
            raise ValueError(
                f"num_corruptions must be an integer >= 1, got {num_corruptions!r}."
            )
        super().__init__(**kwargs)
        self.corruption = corruption
        self.noise_level = float(noise_level)
        self.num_corruptions = int(num_corruptions)

    def compute_losses(self, x, y=None, training=False):
        if not training:
            return super().compute_losses(x, y, training)
        x = ops.cast(x, self.compute_dtype)
        copies = ops.concatenate([x] * self.num_corruptions, axis=0)
        noisy = corrupt(
            copies, self.corruption, self.noise_level, seed=self.seed_generator
        )
        params = self.decoder(self.encoder(noisy, training=True), training=True)
        terms = self.reconstruction_terms(params, copies)
        # Average each term over the L copies of every example.
        return {
            k: ops.mean(ops.reshape(v, (self.num_corruptions, -1)), axis=0)
            for k, v in terms.items()
        }

    def get_config(self):
        return super().get_config() | {
            "corruption": self.corruption,
            "noise_level": self.noise_level,
            "num_corruptions": self.num_corruptions,
        }


def _single_sigmoid_dense(encoder):
    """The encoder's Dense layer if it is x -> sigmoid(W x + b) (after reshapes)."""
    body = [
        layer
        for layer in encoder.layers
        if not isinstance(layer, layers.InputLayer | layers.Flatten | layers.Reshape)
    ]
    if len(body) == 1 and isinstance(body[0], layers.Dense):
        if body[0].activation is keras.activations.sigmoid:
            return body[0]
    return None


def jacobian_sq_norm(encoder, x, method="auto"):
    """Per-example squared Frobenius norm of the encoder Jacobian dh/dx.

    Args:
        encoder: A `keras.Model` x -> h.
        x: Batch of inputs.
        method: `"closed_form"` (one sigmoid Dense layer only:
            sum_j (h_j (1 - h_j))^2 sum_i W_ij^2), `"exact"` (batch Jacobian by
            automatic differentiation, any encoder) or `"auto"` (closed form when
            the encoder allows it).

    Returns:
        Tensor `[B]`.
    """
    if method not in ("auto", "exact", "closed_form"):
        raise ValueError(
            f"method must be 'auto', 'exact' or 'closed_form', got {method!r}."
        )
    dense = _single_sigmoid_dense(encoder)
    if method == "closed_form" and dense is None:
        raise ValueError("The closed form needs an encoder of one sigmoid Dense layer.")
    x = tf.cast(x, tf.float32)
    if dense is not None and method != "exact":
        h = ops.cast(encoder(x), "float32")
        col_norms = ops.sum(ops.square(ops.cast(dense.kernel, "float32")), axis=0)
        return ops.sum(ops.square(h * (1.0 - h)) * col_norms, axis=-1)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x)
        h = ops.cast(encoder(x), "float32")
    jac = tape.batch_jacobian(h, x)
    return ops.sum(ops.reshape(ops.square(jac), (ops.shape(jac)[0], -1)), axis=-1)


class _ContractionPenalty(Autoencoder):
    """Adds `contraction * penalty(x)` to the reconstruction loss; tracks it."""

    def penalty(self, x, training=False):
        raise NotImplementedError

    def compute_losses(self, x, y=None, training=False):
        terms = super().compute_losses(x, y, training)
        penalty = ops.cast(self.penalty(x, training), "float32")
        terms["loss"] = terms["loss"] + self.contraction * penalty
        terms["contraction"] = penalty
        return terms


@keras.saving.register_keras_serializable(package="keras_gen")
class ContractiveAutoencoder(_ContractionPenalty):
    """Reconstruction + lambda * ||J_h(x)||_F^2 (Rifai et al. 2011).

    The penalty is exact for any encoder (batch Jacobian by automatic
    differentiation); for an encoder of one sigmoid Dense layer the closed form
    sum_j (h_j (1 - h_j))^2 sum_i W_ij^2 is used automatically (`jacobian="auto"`).
    Tracked: `contraction`, the per-example ||J||_F^2.

    Args:
        contraction: lambda >= 0.
        jacobian: `"auto"`, `"exact"` or `"closed_form"`.
        **kwargs: `Autoencoder` arguments.

    Reference:
        Rifai, Vincent, Muller, Glorot, Bengio, "Contractive auto-encoders: explicit
        invariance during feature extraction", ICML 2011.
    """

    def __init__(self, contraction=0.1, jacobian="auto", **kwargs):
        self.contraction = _check_nonnegative(contraction, "contraction")
        if jacobian not in ("auto", "exact", "closed_form"):
            raise ValueError(
                f"jacobian must be 'auto', 'exact' or 'closed_form', got {jacobian!r}."
            )
        super().__init__(**kwargs)
        self.jacobian = jacobian
        self._declare_metrics(["contraction"])

    def penalty(self, x, training=False):
        """Per-example ||J_h(x)||_F^2."""
        return jacobian_sq_norm(self.encoder, x, self.jacobian)

    def get_config(self):
        return super().get_config() | {
            "contraction": self.contraction,
            "jacobian": self.jacobian,
        }


@keras.saving.register_keras_serializable(package="keras_gen")
class StochasticContractiveAutoencoder(_ContractionPenalty):
    """Reconstruction + lambda * E||h(x) - h(x + eps)||^2, eps ~ N(0, sigma^2 I).

    For small sigma the expectation is sigma^2 ||J_h(x)||_F^2, the contractive
    penalty, estimated here from `num_samples` perturbations without a Jacobian.
    Tracked: `contraction`, the per-example estimate divided by sigma^2.

    Args:
        contraction: lambda >= 0 (applied to the estimate divided by sigma^2, so it
            is on the scale of `ContractiveAutoencoder`'s).
        sigma: Perturbation scale > 0.
        num_samples: Perturbations per example.
        **kwargs: `Autoencoder` arguments.

    Reference:
        Rifai et al., "Higher order contractive auto-encoder", ECML-PKDD 2011.
    """

    def __init__(self, contraction=0.1, sigma=0.1, num_samples=1, **kwargs):
        self.contraction = _check_nonnegative(contraction, "contraction")
        if not sigma > 0:
            raise ValueError(f"sigma must be > 0, got {sigma!r}.")
        if int(num_samples) != num_samples or num_samples < 1:
            raise ValueError(
                f"num_samples must be an integer >= 1, got {num_samples!r}."
            )
        super().__init__(**kwargs)
        self.sigma = float(sigma)
        self.num_samples = int(num_samples)
        self._declare_metrics(["contraction"])

    def stochastic_penalty(self, x, training=False):
        """Per-example mean over draws of ||h(x) - h(x + eps)||^2 / sigma^2."""
        x = ops.cast(x, self.compute_dtype)
        h = self.encoder(x, training=training)
        copies = ops.concatenate([x] * self.num_samples, axis=0)
        noisy = gaussian_noise(copies, self.sigma, seed=self.seed_generator)
        h_noisy = self.encoder(noisy, training=training)
        diff = ops.sum(
            ops.square(h_noisy - ops.concatenate([h] * self.num_samples, 0)), -1
        )
        return ops.mean(ops.reshape(diff, (self.num_samples, -1)), 0) / self.sigma**2

    def penalty(self, x, training=False):
        return self.stochastic_penalty(x, training)

    def get_config(self):
        return super().get_config() | {
            "contraction": self.contraction,
            "sigma": self.sigma,
            "num_samples": self.num_samples,
        }
