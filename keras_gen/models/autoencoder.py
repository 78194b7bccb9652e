"""Autoencoders: learned dimensionality reduction with a reconstruction likelihood."""

import warnings

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from .. import losses
from . import networks, shapes
from .base import GenerativeModel, as_float32
from .shapes import positive_int

LIKELIHOODS = ("bernoulli", "gaussian")
NETWORKS = ("mlp", "conv")


@keras.saving.register_keras_serializable(package="keras_gen")
class Autoencoder(GenerativeModel):
    """Undercomplete autoencoder x -> f(x) = h -> g(h) trained by `fit`.

    The reconstruction loss is the negative log-likelihood of the input under an
    output distribution whose parameters the decoder produces, summed over pixels
    (nats per example):

    - `"bernoulli"`: the decoder gives logits, `-log p(x|h)` is the binary
      cross-entropy; inputs must lie in [0, 1].
    - `"gaussian"`: the decoder gives the mean of N(mean, I); `-log p(x|h)` is half
      the squared error plus a constant (dropped), i.e. MSE up to scale.

    Tracked metrics: `loss` (that NLL), `mse` (mean squared error per pixel of the
    reconstruction `g(f(x))`), and `bce` (binary cross-entropy summed over pixels,
    Bernoulli only).

    Args:
        input_shape: Shape of one example, e.g. `(28, 28, 1)`.
        latent_dim: Size of the code h (`code_dim` is its deprecated alias).
        hidden_units: Encoder hidden widths (`"mlp"`); the decoder mirrors them.
        filters: Convolution filters of the encoder (`"conv"`); mirrored in decoder.
        network: `"mlp"` or `"conv"`, used when `encoder`/`decoder` are not given.
        activation: Hidden activation.
        code_activation: Activation of the code layer (`None` is linear).
        likelihood: `"bernoulli"` or `"gaussian"`.
        encoder: Optional `keras.Model` from inputs to `[B, latent_dim]`; the
            config then holds it serialized instead of the arguments that shape
            the default encoder (`network_arguments`).
        decoder: Optional `keras.Model` from `[B, latent_dim]` to inputs' shape.
        anomaly_threshold: Score above which `is_anomaly` flags an input (set by
            `fit_threshold`).
        seed: Seed of the model's random stream.
        **kwargs: Passed to `keras.Model`.

    Example:
        >>> ae = keras_gen.Autoencoder(latent_dim=32)
        >>> ae.compile(keras.optimizers.Adam(1e-3))
        >>> ae.fit(keras_gen.data.load("mnist", "train"), epochs=10)
        >>> ae.reconstruct(x_test[:8]).shape
        TensorShape([8, 28, 28, 1])

    Reference:
        Hinton & Salakhutdinov, "Reducing the dimensionality of data with neural
        networks", Science 2006.
    """

    sub_models = ("encoder", "decoder")
    network_arguments = {
        "encoder": (
            "hidden_units",
            "filters",
            "network",
            "activation",
            "code_activation",
        ),
        "decoder": ("hidden_units", "filters", "network", "activation"),
    }
    # Measured on its reconstruction terms (see keras_gen.evaluation).
    evaluations = ("reconstruction",)

    def __init__(
        self,
        input_shape=(28, 28, 1),
        latent_dim=32,
        hidden_units=(512, 256),
        filters=(32, 64),
        network="mlp",
        activation="relu",
        code_activation=None,
        likelihood="bernoulli",
        encoder=None,
        decoder=None,
        anomaly_threshold=None,
        seed=None,
        code_dim=None,
        **kwargs,
    ):
        if code_dim is not None:
            latent_dim = _deprecated_code_dim(code_dim)
        if likelihood not in LIKELIHOODS:
            raise ValueError(
                f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}."
            )
        if network not in NETWORKS:
            raise ValueError(f"network must be one of {NETWORKS}, got {network!r}.")
        super().__init__(
            input_shape,
            input_range=(0.0, 1.0) if likelihood == "bernoulli" else None,
            seed=seed,
            **kwargs,
        )
        self.latent_dim = positive_int(latent_dim, "latent_dim")
        self.hidden_units = tuple(hidden_units)
        self.filters = tuple(filters)
        self.network = network
        self.activation = activation
        self.code_activation = code_activation
        self.likelihood = likelihood
        self.anomaly_threshold = (
            None if anomaly_threshold is None else float(anomaly_threshold)
        )
        self._given_networks(encoder=encoder, decoder=decoder)
        self.encoder = self._default_encoder() if encoder is None else encoder
        self.decoder = self._default_decoder() if decoder is None else decoder
        self._check_networks()
        # A Gaussian fitted to the codes, for `sample` (see `fit_code_distribution`).
        self.code_mean = self.add_weight(
            shape=(self.latent_dim,),
            initializer="zeros",
            trainable=False,
            name="code_mean",
        )
        self.code_scale_tril = self.add_weight(
            shape=(self.latent_dim, self.latent_dim),
            initializer="identity",
            trainable=False,
            name="code_scale_tril",
        )
        names = ["loss", "mse"] + (["bce"] if likelihood == "bernoulli" else [])
        self._declare_metrics(names)
        self.built = True

    @property
    def code_dim(self):
        """Deprecated alias of `latent_dim`."""
        warnings.warn(
            "Autoencoder.code_dim is deprecated; use latent_dim.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.latent_dim

    def __dir__(self):
        # Keras' weight saving visits every name in dir(): keep the alias out of it
        # so that saving and loading do not warn.
        return [name for name in super().__dir__() if name != "code_dim"]

    def _check_fits(self, network):
        # The conv networks' sizes, named by model and argument.
        shapes.check_conv_shape(
            self.data_shape,
            len(self.filters),
            f"{type(self).__name__}'s default {network} (network='conv', "
            f"filters={self.filters})",
        )

    def _default_encoder(self):
        if self.network == "mlp":
            return networks.mlp_encoder(
                self.data_shape,
                self.latent_dim,
                self.hidden_units,
                self.activation,
                self.code_activation,
            )
        self._check_fits("encoder")
        return networks.conv_encoder(
            self.data_shape,
            self.latent_dim,
            self.filters,
            activation=self.activation,
            output_activation=self.code_activation,
        )

    def _default_decoder(self):
        if self.network == "mlp":
            return networks.mlp_decoder(
                self.latent_dim,
                self.data_shape,
                self.hidden_units[::-1],
                self.activation,
            )
        self._check_fits("decoder")
        return networks.conv_decoder(
            self.latent_dim,
            self.data_shape,
            self.filters[::-1],
            activation=self.activation,
        )

    def _check_networks(self):
        enc_in = tuple(self.encoder.input_shape[1:])
        enc_out = tuple(self.encoder.output_shape[1:])
        dec_out = tuple(self.decoder.output_shape[1:])
        if enc_in != self.data_shape or enc_out != (self.latent_dim,):
            raise ValueError(
                f"encoder must map {self.data_shape} to ({self.latent_dim},), got "
                f"{enc_in} -> {enc_out}."
            )
        if dec_out != self.data_shape:
            raise ValueError(f"decoder must output {self.data_shape}, got {dec_out}.")

    # -- forward ---------------------------------------------------------------

    def _output(self, params):
        # Outputs and losses in float32 whatever the compute dtype (mixed precision).
        params = as_float32(params)
        return ops.sigmoid(params) if self.likelihood == "bernoulli" else params

    def call(self, x, training=False):
        return self._output(
            self.decoder(self.encoder(x, training=training), training=training)
        )

    def compute_losses(self, x, y=None, training=False):
        params = self.decoder(self.encoder(x, training=training), training=training)
        return self.reconstruction_terms(params, x)

    def reconstruction_terms(self, params, x):
        """Per-example `loss` (the NLL), `mse` and `bce` of decoder output `params`."""
        return losses.reconstruction_terms(x, params, self.likelihood)

    # -- verbs -----------------------------------------------------------------

    def encode(self, x):
        """Maps a batch of inputs to codes `[B, latent_dim]` (float32 under a
        mixed-precision policy, as every output)."""
        return as_float32(
            self.encoder(self.validate_inputs(x, "encode"), training=False)
        )

    def decode(self, h):
        """Maps codes to reconstructions (probabilities or means)."""
        h = self.check_codes(h, "decode")
        return self._output(self.decoder(h, training=False))

    def reconstruct(self, x):
        """Returns g(f(x)) for a batch."""
        return self.decode(self.encode(x))

    def anomaly_score(self, x):
        """Per-example reconstruction NLL (nats); higher means less typical."""
        return self.compute_losses(self.validate_inputs(x, "anomaly_score"))["loss"]

    def _scores(self, x):
        if isinstance(x, tf.data.Dataset):
            return np.concatenate(
                [self.anomaly_score(b[0] if isinstance(b, tuple) else b) for b in x]
            )
        return np.asarray(self.anomaly_score(x))

    def fit_threshold(self, x_normal, quantile=0.99):
        """Sets the anomaly threshold to a quantile of scores of normal data.

        Args:
            x_normal: Inputs (array or dataset of batches) taken as normal.
            quantile: Fraction of normal data scored below the threshold.

        Returns:
            The threshold (also kept in `anomaly_threshold` and the config).
        """
        if not 0 < quantile < 1:
            raise ValueError(f"quantile must be in (0, 1), got {quantile!r}.")
        self.anomaly_threshold = float(np.quantile(self._scores(x_normal), quantile))
        return self.anomaly_threshold

    def is_anomaly(self, x):
        """Boolean per example: score above the threshold set by `fit_threshold`."""
        if self.anomaly_threshold is None:
            raise ValueError(
                "No anomaly threshold: call fit_threshold(x_normal) first."
            )
        return self._scores(x) > self.anomaly_threshold

    def fit_code_distribution(self, x, max_batches=None):
        """Fits a full-covariance Gaussian to the codes of `x`, used by `sample`.

        Args:
            x: Array of inputs or a `tf.data.Dataset` of `x` or `(x, y)` batches.
            max_batches: Use at most this many batches of a dataset.

        Returns:
            `(mean, covariance)` as numpy arrays.
        """
        if isinstance(x, tf.data.Dataset):
            ds = x.take(max_batches) if max_batches else x
            codes = [
                self.encode(b[0] if isinstance(b, tuple) else b).numpy() for b in ds
            ]
            codes = np.concatenate(codes)
        else:
            codes = self.encode(x).numpy()
        codes = codes.astype(np.float64)
        mean = codes.mean(0)
        cov = np.cov(codes, rowvar=False).reshape(self.latent_dim, self.latent_dim)
        cov += 1e-6 * np.eye(self.latent_dim)
        self.code_mean.assign(mean.astype("float32"))
        self.code_scale_tril.assign(np.linalg.cholesky(cov).astype("float32"))
        return mean, cov

    def sample(self, n, labels=None):
        """Decodes `n` codes drawn from the Gaussian fitted to training codes.

        Call `fit_code_distribution` after training first; before it, codes are
        drawn from N(0, I). An autoencoder has no prior of its own, so this is a
        simple density model of the code space, not a likelihood-trained sampler.
        """
        n = self._check_count(n)
        self._refuse_labels(labels, "sample")
        eps = keras.random.normal((n, self.latent_dim), seed=self.seed_generator)
        h = self.code_mean + ops.matmul(eps, ops.transpose(self.code_scale_tril))
        return self.decode(h)

    def fit_recipe(self, train, *, epochs, callbacks=(), verbose=2, recipe=None):
        """`fit`, then `fit_code_distribution` on up to 200 batches of `train`, so
        that `sample` draws codes like those of the training data."""
        history = super().fit_recipe(
            train, epochs=epochs, callbacks=callbacks, verbose=verbose, recipe=recipe
        )
        self.fit_code_distribution(train, max_batches=200)
        return history

    def evaluate_metrics(self, dataset):
        """Deprecated: use `keras_gen.evaluation.evaluate(model, dataset)`.

        Returns:
            A dict of floats: the test-set terms (`loss`, `mse`, `bce`, ...)
            averaged per example, and `examples`.
        """
        # A deprecated alias: evaluation imports the models, so it comes late.
        from .. import evaluation

        warnings.warn(
            f"{type(self).__name__}.evaluate_metrics is deprecated; use "
            "keras_gen.evaluation.evaluate(model, dataset).",
            DeprecationWarning,
            stacklevel=2,
        )
        return evaluation.evaluate(self, dataset)

    # -- config ----------------------------------------------------------------

    def get_config(self):
        # A network given to the constructor is serialized, else its arguments are.
        config = super().get_config() | {
            "latent_dim": self.latent_dim,
            "hidden_units": list(self.hidden_units),
            "filters": list(self.filters),
            "network": self.network,
            "activation": self.activation,
            "code_activation": self.code_activation,
            "likelihood": self.likelihood,
            "anomaly_threshold": self.anomaly_threshold,
        }
        return self._with_networks(config)


def _deprecated_code_dim(code_dim):
    warnings.warn(
        "Autoencoder(code_dim=...) is deprecated; use latent_dim=...",
        DeprecationWarning,
        stacklevel=3,
    )
    return code_dim
