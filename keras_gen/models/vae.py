"""`VAE`: variational autoencoder whose posterior, prior and likelihood are
`tfp.distributions` objects.

Training minimizes -ELBO = -E_q[log p(x|z)] + beta * KL(q(z|x) || p(z)) with the
reparameterized sample drawn by the posterior's own `sample()`. The KL is analytic
(`tfd.kl_divergence`) where TFP registers it, a one-sample Monte Carlo estimate
otherwise (a mixture prior).
"""

import keras
import tensorflow as tf
import tensorflow_probability as tfp
from keras import ops

from . import networks
from .base import GenerativeModel, as_float32
from .latent import LatentVariableVerbs
from .shapes import positive_int

tfd = tfp.distributions

LIKELIHOODS = ("bernoulli", "gaussian", "continuous_bernoulli")
PRIORS = ("normal", "mixture")


class _KLWarmup(keras.callbacks.Callback):
    # Sets the KL weight to beta * min(1, epoch / warm-up epochs) before each epoch.
    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def on_epoch_begin(self, epoch, logs=None):
        self.vae.kl_weight.assign(self.vae.warmup_weight(epoch))


@keras.saving.register_keras_serializable(package="keras_gen")
class VAE(LatentVariableVerbs, GenerativeModel):
    """Variational autoencoder (Kingma & Welling 2014) on TFP distributions.

    The encoder outputs `2 * latent_dim` numbers: the mean and (through softplus)
    the standard deviations of the diagonal Gaussian q(z|x). The decoder outputs
    the parameters of p(x|z), independent over pixels: Bernoulli logits, Gaussian
    means, or ContinuousBernoulli logits. Tracked metrics, nats per example:
    `loss` (reconstruction + beta * KL, which is -ELBO when beta is 1 and warm-up
    is over), `reconstruction` (-log p(x|z) at one posterior sample) and `kl`.

    Args:
        input_shape: Shape of one example.
        latent_dim: Size of z (>= 1).
        hidden_units: Widths of the default MLP encoder; the decoder mirrors them.
        activation: Hidden activation of the default networks.
        network: `"mlp"` or `"conv"` default networks.
        filters: Convolution filters of the `"conv"` networks.
        likelihood: `"bernoulli"`, `"gaussian"` or `"continuous_bernoulli"`.
        gaussian_scale: Fixed standard deviation of the Gaussian likelihood, or
            `None` to learn one per pixel.
        beta: Weight of the KL term (>= 0); 1 is the ELBO, > 1 a beta-VAE.
        kl_warmup_epochs: The KL weight rises linearly from 0 to `beta` over this
            many epochs of `fit` (0: no warm-up).
        prior: `"normal"` (N(0, I), analytic KL), `"mixture"` (a learned mixture of
            `prior_components` diagonal Gaussians, Monte Carlo KL), or any
            `tfd.Distribution` with event shape `[latent_dim]` (not serializable).
        prior_components: Components of the `"mixture"` prior.
        encoder: Optional `keras.Model` from inputs to `[B, 2 * latent_dim]`; the
            config then holds it serialized instead of the arguments that shape
            the default encoder (`network_arguments`).
        decoder: Optional `keras.Model` from `[B, latent_dim]` to the inputs' shape.
        seed: Seed of the model's random stream.
        **kwargs: Passed to `keras.Model`.

    Example:
        >>> vae = keras_gen.VAE(latent_dim=50, hidden_units=(200, 200))
        >>> vae.compile(keras.optimizers.Adam(1e-3))
        >>> vae.fit(keras_gen.data.load("mnist", "train", 100, binarize="dynamic",
        ...     supervised=False), epochs=10)
        >>> vae.log_likelihood(x_test[:100], num_samples=5000).mean()

    Reference:
        Kingma & Welling, "Auto-encoding variational Bayes", ICLR 2014; Burda et
        al., "Importance weighted autoencoders", ICLR 2016 (the bound of
        `log_likelihood`).
    """

    sub_models = ("encoder", "decoder")
    network_arguments = {
        "encoder": ("hidden_units", "activation", "network", "filters"),
        "decoder": ("hidden_units", "activation", "network", "filters"),
    }
    # Measured on the ELBO and log_likelihood (see keras_gen.evaluation).
    evaluations = ("likelihood",)

    def __init__(
        self,
        input_shape=(28, 28, 1),
        latent_dim=50,
        hidden_units=(200, 200),
        activation="tanh",
        network="mlp",
        filters=(32, 64),
        likelihood="bernoulli",
        gaussian_scale=None,
        beta=1.0,
        kl_warmup_epochs=0,
        prior="normal",
        prior_components=10,
        encoder=None,
        decoder=None,
        seed=None,
        **kwargs,
    ):
        if likelihood not in LIKELIHOODS:
            raise ValueError(
                f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}."
            )
        if network not in ("mlp", "conv"):
            raise ValueError(f"network must be 'mlp' or 'conv', got {network!r}.")
        if isinstance(latent_dim, bool) or int(latent_dim) != latent_dim:
            raise ValueError(f"latent_dim must be an integer, got {latent_dim!r}.")
        if latent_dim < 1:
            raise ValueError(f"latent_dim must be at least 1, got {latent_dim}.")
        if not beta >= 0:
            raise ValueError(f"beta must be >= 0, got {beta!r}.")
        if int(kl_warmup_epochs) != kl_warmup_epochs or kl_warmup_epochs < 0:
            raise ValueError(
                "kl_warmup_epochs must be a non-negative integer, got "
                f"{kl_warmup_epochs!r}."
            )
        if gaussian_scale is not None and not gaussian_scale > 0:
            raise ValueError(f"gaussian_scale must be > 0, got {gaussian_scale!r}.")
        if not isinstance(prior, tfd.Distribution) and prior not in PRIORS:
            raise ValueError(
                f"prior must be one of {PRIORS} or a tfd.Distribution, got {prior!r}."
            )
        unit = (0.0, 1.0) if likelihood != "gaussian" else None
        super().__init__(input_shape, input_range=unit, seed=seed, **kwargs)
        self.latent_dim = positive_int(latent_dim, "latent_dim")
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.activation = activation
        self.network = network
        self.filters = tuple(int(f) for f in filters)
        self.likelihood = likelihood
        self.gaussian_scale = None if gaussian_scale is None else float(gaussian_scale)
        self.beta = float(beta)
        self.kl_warmup_epochs = int(kl_warmup_epochs)
        self.prior_components = int(prior_components)
        self._given_networks(encoder=encoder, decoder=decoder)
        self.encoder = self._default_encoder() if encoder is None else encoder
        self.decoder = self._default_decoder() if decoder is None else decoder
        self._check_networks()
        self.kl_weight = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(
                0.0 if self.kl_warmup_epochs else self.beta
            ),
            trainable=False,
            name="kl_weight",
        )
        if likelihood == "gaussian" and gaussian_scale is None:
            self.log_scale = self.add_weight(
                shape=self.data_shape, initializer="zeros", name="log_scale"
            )
        self._prior_spec = prior
        if isinstance(prior, tfd.Distribution):
            if tuple(prior.event_shape) != (self.latent_dim,):
                raise ValueError(
                    f"prior must have event shape ({self.latent_dim},), got "
                    f"{tuple(prior.event_shape)}."
                )
        elif prior == "mixture":
            k, d = self.prior_components, self.latent_dim
            self.prior_logits = self.add_weight(
                shape=(k,), initializer="zeros", name="prior_logits"
            )
            self.prior_means = self.add_weight(
                shape=(k, d),
                initializer=keras.initializers.RandomNormal(seed=seed),
                name="prior_means",
            )
            self.prior_raw_scales = self.add_weight(
                shape=(k, d), initializer="zeros", name="prior_raw_scales"
            )
        self._declare_metrics(["loss", "reconstruction", "kl"])
        self.built = True

    # -- networks --------------------------------------------------------------

    def _default_encoder(self):
        out = 2 * self.latent_dim
        labels = self.takes_labels and self.num_classes
        if self.network == "conv":
            if labels:
                raise ValueError("Conditional models take network='mlp'.")
            return networks.conv_encoder(
                self.data_shape, out, self.filters, activation=self.activation
            )
        return networks.mlp_encoder(
            self.data_shape,
            out,
            self.hidden_units,
            self.activation,
            num_classes=labels or None,
        )

    def _default_decoder(self):
        labels = self.takes_labels and self.num_classes
        if self.network == "conv":
            return networks.conv_decoder(
                self.latent_dim,
                self.data_shape,
                self.filters[::-1],
                activation=self.activation,
            )
        return networks.mlp_decoder(
            self.latent_dim,
            self.data_shape,
            self.hidden_units[::-1],
            self.activation,
            num_classes=labels or None,
        )

    def _check_networks(self):
        for net, inputs in ((self.encoder, "x"), (self.decoder, "z")):
            if len(net.inputs) != 1 + self.takes_labels:
                raise ValueError(
                    f"{type(self).__name__}'s {net.name} must take "
                    + (f"[{inputs}, labels]" if self.takes_labels else inputs)
                    + f", got {len(net.inputs)} inputs."
                )
        enc_in = tuple(self.encoder.inputs[0].shape[1:])
        enc_out = tuple(self.encoder.output_shape[1:])
        dec_in = tuple(self.decoder.inputs[0].shape[1:])
        dec_out = tuple(self.decoder.output_shape[1:])
        if enc_in != self.data_shape or enc_out != (2 * self.latent_dim,):
            raise ValueError(
                f"encoder must map {self.data_shape} to ({2 * self.latent_dim},) "
                f"(mean and scale of q(z|x)), got {enc_in} -> {enc_out}."
            )
        if dec_in != (self.latent_dim,) or dec_out != self.data_shape:
            raise ValueError(
                f"decoder must map ({self.latent_dim},) to {self.data_shape}, got "
                f"{dec_in} -> {dec_out}."
            )

    # -- distributions ---------------------------------------------------------

    @property
    def prior(self):
        """p(z), a `tfd.Distribution` with event shape `[latent_dim]`."""
        if isinstance(self._prior_spec, tfd.Distribution):
            return self._prior_spec
        if self._prior_spec == "mixture":
            return tfd.MixtureSameFamily(
                tfd.Categorical(logits=self.prior_logits),
                tfd.MultivariateNormalDiag(
                    self.prior_means, tf.math.softplus(self.prior_raw_scales) + 1e-4
                ),
            )
        return tfd.MultivariateNormalDiag(
            tf.zeros(self.latent_dim), tf.ones(self.latent_dim)
        )

    @staticmethod
    def _with_labels(inputs, labels):
        if labels is None:
            return inputs
        return [inputs, ops.reshape(ops.cast(labels, "int32"), (-1, 1))]

    def posterior(self, x, labels=None, training=False):
        """q(z|x): a diagonal `tfd.MultivariateNormalDiag`, batch shape `[B]`."""
        # Distributions and losses in float32 whatever the compute dtype.
        params = as_float32(
            self.encoder(self._with_labels(x, labels), training=training)
        )
        loc, raw = params[:, : self.latent_dim], params[:, self.latent_dim :]
        return tfd.MultivariateNormalDiag(loc, tf.math.softplus(raw) + 1e-4)

    def likelihood_of(self, z, labels=None, training=False):
        """p(x|z): a `tfd.Independent` over pixels, batch shape `[B]`."""
        params = as_float32(
            self.decoder(self._with_labels(z, labels), training=training)
        )
        if self.likelihood == "bernoulli":
            base = tfd.Bernoulli(logits=params, dtype=params.dtype)
        elif self.likelihood == "continuous_bernoulli":
            base = tfd.ContinuousBernoulli(logits=params)
        else:
            scale = (
                self.gaussian_scale
                if self.gaussian_scale is not None
                else tf.exp(self.log_scale)
            )
            base = tfd.Normal(params, scale)
        return tfd.Independent(base, reinterpreted_batch_ndims=len(self.data_shape))

    def kl_divergence(self, q, z):
        """KL(q || prior) per example: analytic if TFP has it, else log q - log p
        at the sample `z`."""
        try:
            return tfd.kl_divergence(q, self.prior)
        except NotImplementedError:
            return q.log_prob(z) - self.prior.log_prob(z)

    @property
    def analytic_kl(self):
        """Whether `kl_divergence` is exact (TFP registers the pair)."""
        q = tfd.MultivariateNormalDiag(tf.zeros(self.latent_dim))
        try:
            tfd.kl_divergence(q, self.prior)
        except NotImplementedError:
            return False
        return True

    def _draw_seed(self):
        # A stateless seed from the model's stream, for TFP's sample().
        return keras.random.randint((2,), 0, 2**31 - 1, "int32", self.seed_generator)

    # -- training --------------------------------------------------------------

    def compute_losses(self, x, y=None, training=False):
        x = as_float32(x)
        labels = y if self.takes_labels else None
        q = self.posterior(x, labels, training=training)
        z = q.sample(seed=self._draw_seed())
        reconstruction = -self.likelihood_of(z, labels, training).log_prob(x)
        kl = self.kl_divergence(q, z)
        # Without warm-up the weight is beta itself, so that loaded weights (which
        # hold the kl_weight of their run) cannot undo an override of beta.
        weight = self.kl_weight if self.kl_warmup_epochs else self.beta
        loss = reconstruction + ops.cast(weight, kl.dtype) * kl
        return {"loss": loss, "reconstruction": reconstruction, "kl": kl}

    def warmup_weight(self, epoch):
        """The KL weight in epoch `epoch` (0-based): beta * min(1, epoch / warm-up)."""
        if not self.kl_warmup_epochs:
            return self.beta
        return self.beta * min(1.0, epoch / self.kl_warmup_epochs)

    def fit(self, x=None, y=None, *args, **kwargs):
        if self.kl_warmup_epochs:
            callbacks = list(kwargs.get("callbacks") or [])
            kwargs["callbacks"] = [*callbacks, _KLWarmup(self)]
        return super().fit(x, y, *args, **kwargs)

    # -- verbs -----------------------------------------------------------------

    def call(self, x, training=False):
        """The mean of p(x|z) at the posterior mean: a deterministic reconstruction."""
        return self.likelihood_of(self.posterior(x).mean()).mean()

    def encode(self, x):
        """q(z|x) for a batch: a `tfd.MultivariateNormalDiag` (`.mean()`,
        `.sample()`)."""
        return self.posterior(self.validate_inputs(x, "encode"))

    def _check_codes(self, z, where):
        return self.check_codes(z, where)

    def decode(self, z):
        """p(x|z) for codes `[B, latent_dim]`; `.mean()` gives images."""
        return self.likelihood_of(self._check_codes(z, "decode"))

    def reconstruct(self, x):
        """Mean of p(x|z) at the posterior mean of each input."""
        return self.call(self.validate_inputs(x, "reconstruct"))

    def sample(self, n, labels=None):
        """Means of p(x|z) at codes drawn from the prior."""
        n = self._check_count(n)
        self._refuse_labels(labels, "sample")
        return self.decode(self.prior.sample(n, seed=self._draw_seed())).mean()

    # -- config ----------------------------------------------------------------

    def get_config(self):
        if isinstance(self._prior_spec, tfd.Distribution):
            raise TypeError(
                f"{type(self).__name__} with a tfd.Distribution prior cannot be "
                "serialized; use prior='normal' or 'mixture' to save it."
            )
        # A network given to the constructor is serialized, else its arguments are.
        return self._with_networks(
            super().get_config()
            | {
                "latent_dim": self.latent_dim,
                "hidden_units": list(self.hidden_units),
                "activation": self.activation,
                "network": self.network,
                "filters": list(self.filters),
                "likelihood": self.likelihood,
                "gaussian_scale": self.gaussian_scale,
                "beta": self.beta,
                "kl_warmup_epochs": self.kl_warmup_epochs,
                "prior": self._prior_spec,
                "prior_components": self.prior_components,
            }
        )
