"""Adversarial autoencoders (Makhzani et al. 2015) on the adversarial core.

`AAE.train_step` runs the paper's three phases on every minibatch, in order:

1. `reconstruction` (`ae_optimizer`): encoder and decoder descend the
   reconstruction negative log-likelihood;
2. regularization, discriminator (`d_optimizer`): the latent discriminator learns
   to tell prior samples z ~ p(z) (real) from codes z ~ q(z|x) (fake);
3. regularization, generator (`g_optimizer`): the encoder learns to fool it,
   so that the aggregated posterior q(z) matches p(z).

The prior is anything that can be sampled (`keras_gen.priors`); samples are
decoded prior draws. `SupervisedAAE` (supervised_aae.py) gives the label to the
decoder so that the code learns style; the semi-supervised and clustering
variants are in `ssaae.py`.
"""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from keras import ops

from .. import losses, priors
from ..data import UNLABELLED
from . import networks
from .adversarial import AdversarialModel
from .base import as_float32
from .networks import (
    code_discriminator,
    input_range_of,
    noisy_mlp_encoder,
)

tfd = tfp.distributions

POSTERIORS = ("deterministic", "gaussian", "universal")


@keras.saving.register_keras_serializable(package="keras_gen")
class AAE(AdversarialModel):
    """Adversarial autoencoder: an autoencoder whose codes are matched to a prior
    by a discriminator on the code space.

    `compile(ae_optimizer=..., d_optimizer=..., g_optimizer=...)` takes one
    optimizer per phase. Metrics: `reconstruction` (the NLL, nats per example),
    `mse`, `d_loss`, `g_loss`, `d_real` (mean D on prior samples) and `d_fake`
    (mean D on codes).

    Args:
        input_shape: Shape of one example.
        latent_dim: Size of the code z.
        encoder: A `keras.Model` from examples to `[B, latent_dim]`
            (`"deterministic"`), `[B, 2 * latent_dim]` (`"gaussian"`: mean and
            pre-softplus scale) or from `[x, eta]` to `[B, latent_dim]`
            (`"universal"`), or `None` for the default MLP.
        decoder: A `keras.Model` from `[B, latent_dim]` to logits (Bernoulli) or
            means (Gaussian) of the example's shape, or `None`.
        discriminator: A `keras.Model` from codes (and, with `label_prior`, an
            integer label `[B, 1]` in [0, num_classes], num_classes meaning
            unlabelled) to one logit, or `None`.
        prior: A name in `keras_gen.priors.NAMES`, a `tfd.Distribution` with
            event shape `[latent_dim]` or a callable `sampler(n, seed)`; only a
            named prior can be saved in a config.
        prior_components: Components of the named 2-D priors.
        posterior: `"deterministic"`, `"gaussian"` (reparameterized) or
            `"universal"` (the encoder also takes noise eta), section 2.1.
        noise_dim: Size of eta for the universal posterior (default latent_dim).
        hidden_units: Hidden widths of the default encoder (the decoder mirrors
            them); the paper: 1000, 1000.
        discriminator_units: Hidden widths of the default discriminator.
        activation: Hidden activation of the default encoder and decoder.
        likelihood: `"bernoulli"` (inputs in [0, 1]) or `"gaussian"`.
        label_prior: The paper's figure 4: the discriminator also sees a one-hot
            label (with one slot for unlabelled examples) and the prior sample of
            a labelled example comes from its class's component; `fit` then takes
            `(x, y)` with y in [0, prior components) or -1 (unlabelled).
        seed: Seed of the model's random stream.
        **kwargs: `keras.Model` arguments such as `name`.

    Example:
        >>> aae = keras_gen.AAE(latent_dim=2, prior="mixture")
        >>> aae.compile(ae_optimizer=keras.optimizers.Adam(1e-3),
        ...             d_optimizer=keras.optimizers.Adam(1e-4),
        ...             g_optimizer=keras.optimizers.Adam(1e-4))
        >>> aae.fit(keras_gen.data.load("mnist", "train", 100), epochs=10)

    Reference:
        Makhzani, Shlens, Jaitly, Goodfellow & Frey, "Adversarial autoencoders",
        arXiv:1511.05644 (2015).
    """

    sub_models = ("encoder", "decoder", "discriminator")
    optimizer_names = ("ae_optimizer", "d_optimizer", "g_optimizer")
    optimizer_networks = {
        "ae_optimizer": ("encoder", "decoder"),
        "d_optimizer": ("discriminator",),
        "g_optimizer": ("encoder",),
    }
    network_arguments = {
        "encoder": ("hidden_units", "activation", "noise_dim"),
        "decoder": ("hidden_units", "activation"),
        "discriminator": ("discriminator_units",),
    }
    metric_names = ("reconstruction", "mse", "d_loss", "g_loss", "d_real", "d_fake")
    evaluations = ("reconstruction", "samples")
    card_figures = ("prior_overlay",)

    def __init__(
        self,
        input_shape=(28, 28, 1),
        latent_dim=8,
        encoder=None,
        decoder=None,
        discriminator=None,
        prior="normal",
        prior_components=10,
        posterior="deterministic",
        noise_dim=None,
        hidden_units=(1000, 1000),
        discriminator_units=(1000, 1000),
        activation="relu",
        likelihood="bernoulli",
        label_prior=False,
        seed=None,
        **kwargs,
    ):
        if posterior not in POSTERIORS:
            raise ValueError(
                f"posterior must be one of {POSTERIORS}, got {posterior!r}."
            )
        super().__init__(
            input_shape, input_range=input_range_of(likelihood), seed=seed, **kwargs
        )
        self.latent_dim = networks._positive(latent_dim, "latent_dim")
        self.posterior = posterior
        self.noise_dim = networks._positive(noise_dim or latent_dim, "noise_dim")
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.discriminator_units = tuple(int(u) for u in discriminator_units)
        self.activation = activation
        self.likelihood = likelihood
        self.prior_components = int(prior_components)
        self.prior = priors.Prior(prior, self.latent_dim, self.prior_components)
        self.label_prior = bool(label_prior)
        if self.label_prior:
            if self.prior.num_components is None:
                raise ValueError(
                    "label_prior=True needs a prior with components (the "
                    "'mixture' or 'swiss_roll' prior, or a tfd.MixtureSameFamily), "
                    f"got {prior!r}."
                )
            self.takes_labels = True
            self.accepts_unlabelled = True
            self.num_classes = self.prior.num_components
        self._setup_classes()
        self._given_networks(
            encoder=encoder, decoder=decoder, discriminator=discriminator
        )
        self.encoder = encoder or self._default_encoder()
        self.decoder = decoder or self._default_decoder()
        self.discriminator = discriminator or self._default_discriminator()
        self._check_networks()
        # Every tracker exists before fit traces the step (a tracker created in a
        # replica's trace breaks MirroredStrategy).
        bce = ("bce",) if likelihood == "bernoulli" else ()
        self._declare_metrics(self.metric_names + bce)
        self.built = True

    def _setup_classes(self):
        """Hook of subclasses that take labels (before the networks are built)."""

    # -- networks --------------------------------------------------------------

    def _encoder_width(self):
        return self.latent_dim * (2 if self.posterior == "gaussian" else 1)

    def _default_encoder(self):
        if self.posterior == "universal":
            return noisy_mlp_encoder(
                self.data_shape,
                self.noise_dim,
                self.latent_dim,
                self.hidden_units,
                self.activation,
            )
        return networks.mlp_encoder(
            self.data_shape, self._encoder_width(), self.hidden_units, self.activation
        )

    def _default_decoder(self):
        return networks.mlp_decoder(
            self.latent_dim,
            self.data_shape,
            self.hidden_units[::-1],
            self.activation,
            num_classes=self._decoder_classes(),
        )

    def _decoder_classes(self):
        return None

    def _default_discriminator(self):
        return code_discriminator(
            self.latent_dim,
            self.discriminator_units,
            num_classes=self.num_classes + 1 if self.label_prior else None,
        )

    def _check_networks(self):
        inputs = [tuple(i.shape[1:]) for i in self.encoder.inputs]
        expected = [self.data_shape]
        if self.posterior == "universal":
            expected.append((self.noise_dim,))
        width = tuple(self.encoder.outputs[0].shape[1:])
        if inputs != expected or width != (self._encoder_width(),):
            wanted, got = (
                " and ".join(map(str, expected)),
                " and ".join(map(str, inputs)),
            )
            raise ValueError(
                f"A {self.posterior} encoder must map {wanted} to "
                f"({self._encoder_width()},), got {got} -> {width}."
            )
        made = tuple(self.decoder.outputs[0].shape[1:])
        if made != self.data_shape:
            raise ValueError(
                f"The decoder must output the data shape {self.data_shape}, got {made}."
            )
        taken = tuple(self.discriminator.inputs[0].shape[1:])
        if taken != (self.latent_dim,):
            raise ValueError(
                f"The discriminator must take codes of shape (batch, "
                f"{self.latent_dim}), its input has shape (batch, {taken})."
            )
        self.check_one_logit(self.discriminator)

    # -- the model's parts -----------------------------------------------------

    def _draw_seed(self):
        # A stateless seed from the model's stream, for TFP's and the prior's draws.
        return keras.random.randint((2,), 0, 2**31 - 1, "int32", self.seed_generator)

    def _codes(self, x, training=False, sample=True):
        """z ~ q(z|x) for a batch (the posterior mean if not `sample`)."""
        if self.posterior == "universal":
            eta = keras.random.normal(
                (ops.shape(x)[0], self.noise_dim), seed=self.seed_generator
            )
            return as_float32(self.encoder([x, eta], training=training))
        out = as_float32(self.encoder(x, training=training))
        if self.posterior == "deterministic":
            return out
        loc, raw = ops.split(out, 2, axis=-1)
        if not sample:
            return loc
        q = tfd.MultivariateNormalDiag(loc, tf.math.softplus(raw) + 1e-4)
        return q.sample(seed=self._draw_seed())

    def _decoder_inputs(self, z, labels):
        return z

    def _decode_params(self, z, labels=None, training=False):
        return as_float32(
            self.decoder(self._decoder_inputs(z, labels), training=training)
        )

    def _output(self, params):
        return ops.sigmoid(params) if self.likelihood == "bernoulli" else params

    def _prior_samples(self, n, labels=None):
        components = None
        if self.label_prior and labels is not None:
            components = ops.reshape(ops.cast(labels, "int32"), (-1,))
        return self.prior.sample(n, self._draw_seed(), components)

    def _discriminate(self, z, labels=None, training=False):
        inputs = z
        if self.label_prior:
            if labels is None:
                labels = ops.full((ops.shape(z)[0],), UNLABELLED, "int32")
            slot = ops.where(labels < 0, self.num_classes, labels)
            inputs = [z, self.as_column(slot)]
        return ops.reshape(
            as_float32(self.discriminator(inputs, training=training)), (-1,)
        )

    # -- the three phases ------------------------------------------------------

    def _reconstruction_terms(self, x, labels, training=True):
        params = self._decode_params(self._codes(x, training), labels, training)
        terms = losses.reconstruction_terms(x, params, self.likelihood)
        return {"reconstruction": terms.pop("loss")} | terms

    def _d_terms(self, x, labels):
        z_fake = self._codes(x, training=True)
        z_real = self._prior_samples(ops.shape(x)[0], labels)
        real = self._discriminate(z_real, labels, training=True)
        fake = self._discriminate(z_fake, labels, training=True)
        return {
            "d_loss": losses.minimax_discriminator_loss(real, fake),
            "d_real": ops.sigmoid(real),
            "d_fake": ops.sigmoid(fake),
        }

    def _g_terms(self, x, labels):
        fake = self._discriminate(self._codes(x, training=True), labels, training=True)
        return {"g_loss": losses.modified_generator_loss(fake)}

    def _step_labels(self, y):
        return y if self.label_prior else None

    def train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        labels = self._step_labels(y)
        terms = self.phase(
            "ae_optimizer",
            lambda: self._reconstruction_terms(x, labels),
            minimize="reconstruction",
        )
        terms |= self.phase("d_optimizer", lambda: self._d_terms(x, labels), "d_loss")
        terms |= self.phase("g_optimizer", lambda: self._g_terms(x, labels), "g_loss")
        return self._update_metric_trackers(terms)

    def compute_losses(self, x, y=None, training=False):
        """The reconstruction terms (`reconstruction`, `mse`, `bce`) per example."""
        labels = self._step_labels(y)
        params = self._decode_params(
            self._codes(x, training, sample=False), labels, training
        )
        terms = losses.reconstruction_terms(x, params, self.likelihood)
        return {"reconstruction": terms.pop("loss")} | terms

    def test_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        labels = self._step_labels(y)
        terms = self.compute_losses(x, y)
        z = self._codes(x)
        real = self._discriminate(self._prior_samples(ops.shape(x)[0], labels), labels)
        fake = self._discriminate(z, labels)
        terms |= {
            "d_loss": losses.minimax_discriminator_loss(real, fake),
            "g_loss": losses.modified_generator_loss(fake),
            "d_real": ops.sigmoid(real),
            "d_fake": ops.sigmoid(fake),
        }
        return self._update_metric_trackers(terms)

    # -- verbs -----------------------------------------------------------------

    def call(self, x, training=False):
        """Reconstructions of a batch (probabilities or means)."""
        self._check_shape(x.shape, "call")
        return self._output(
            self._decode_params(self._codes(x, training, sample=False), None, training)
        )

    def encode(self, x, sample=False):
        """Codes `[B, latent_dim]`: f(x), the posterior mean (Gaussian) or, with
        `sample=True`, a draw of q(z|x); the universal posterior always draws."""
        x = self.validate_inputs(x, "encode")
        return self._codes(x, sample=sample)

    def _check_codes(self, z, where):
        return self.check_codes(z, where)

    def decode(self, z, labels=None):
        """Decoder outputs (probabilities or means) for codes `[B, latent_dim]`."""
        z = self._check_codes(z, "decode")
        return self._output(self._decode_params(z, self._decode_labels(labels, z)))

    def _decode_labels(self, labels, z):
        # The decoder takes codes only. With a label prior the labels chose the
        # codes' components (callers pass them to generate/decode alike): ignored
        # here; without one they are a mistake.
        if not self.label_prior:
            self._refuse_labels(labels, "decode")
        return None

    def reconstruct(self, x):
        """Decoded codes of a batch."""
        return self.call(self.validate_inputs(x, "reconstruct"))

    def prior_samples(self, n, labels=None, seed=None):
        """`[n, latent_dim]` draws of p(z) (of each label's component with a
        label-aware prior); a `seed` makes them reproducible."""
        n = self._check_count(n)
        if labels is not None:
            labels = self._check_class_labels(labels, "prior_samples", n, UNLABELLED)
        if seed is not None:
            components = None if labels is None else tf.constant(labels)
            return self.prior.sample(n, tf.constant([seed, 0], "int32"), components)
        return self._prior_samples(n, labels)

    def sample(self, n, labels=None):
        """Decoded prior samples (of the labels' components with a label prior)."""
        n = self._check_count(n)
        if not self.label_prior:
            self._refuse_labels(labels, "sample")
        elif labels is not None:
            labels = self._check_class_labels(labels, "sample", n)
        # The labels pick the prior's components; the decoder takes codes only.
        return self.decode(self._prior_samples(n, labels))

    def noise_batch(self, n, seed=0):
        """`n` prior samples from a fixed seed (the samples the cards score)."""
        return np.asarray(self.prior_samples(n, seed=seed))

    def generate(self, z, labels=None):
        """Decoded codes `z` (what `sample` decodes)."""
        return self.decode(z, labels)

    # -- config ----------------------------------------------------------------

    def get_config(self):
        if not self.prior.serializable():
            raise TypeError(
                f"A {type(self).__name__} with a {type(self.prior.spec).__name__} "
                "prior has no config (only named priors have one); save its "
                "weights with save_weights and rebuild it in code."
            )
        config = super().get_config() | {
            "latent_dim": self.latent_dim,
            "prior": self.prior.spec,
            "prior_components": self.prior_components,
            "posterior": self.posterior,
            "noise_dim": self.noise_dim,
            "hidden_units": list(self.hidden_units),
            "discriminator_units": list(self.discriminator_units),
            "activation": self.activation,
            "likelihood": self.likelihood,
            "label_prior": self.label_prior,
        }
        return self._with_networks(config)
