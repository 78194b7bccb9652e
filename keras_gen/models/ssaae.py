"""Semi-supervised and clustering adversarial autoencoders (Makhzani et al. 2015,
sections 5 and 6).

The encoder has two heads: q(y|x), a softmax over `num_classes`, and a style code
z. The decoder reconstructs x from `[y, z]`. Two discriminators match the heads to
their priors: a one-hot categorical for y, N(0, I) for z. A training step runs, on
each minibatch: reconstruction (encoder and decoder), regularization (both
discriminators, then the encoder against both) and a supervised phase: the
cross-entropy of q(y|x) on the batch's labelled examples. `ClusteringAAE`
(`clustering_aae.py`) drops the supervised phase: y becomes a cluster.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from .. import distribute, losses
from . import networks
from .adversarial import AdversarialModel
from .base import as_float32
from .networks import code_discriminator, input_range_of
from .shapes import noise_std


def two_head_encoder(
    input_shape, num_classes, latent_dim, hidden_units, activation, input_noise=0.0
):
    """x -> hidden layers -> `[y logits [B, num_classes], z [B, latent_dim]]`.

    `input_noise` > 0 adds Gaussian noise of that standard deviation to the input
    while training (`keras.layers.GaussianNoise`; the decoder's target stays the
    clean image)."""
    input_noise = noise_std(input_noise, "encoder_noise")
    x = keras.Input(tuple(input_shape), name="x")
    h = layers.Flatten()(x)
    if input_noise > 0:
        h = layers.GaussianNoise(input_noise, name="input_noise")(h)
    for units in hidden_units:
        h = layers.Dense(int(units), activation=activation)(h)
    y = layers.Dense(int(num_classes), name="y_logits")(h)
    z = layers.Dense(int(latent_dim), name="z")(h)
    return keras.Model(x, [y, z], name="encoder")


@keras.saving.register_keras_serializable(package="keras_gen")
class SemiSupervisedAAE(AdversarialModel):
    """Semi-supervised adversarial autoencoder: a categorical code y and a style z.

    `fit` takes `(x, y)` batches with y in [0, num_classes) or -1 (unlabelled),
    e.g. from `keras_gen.data.load_semi_supervised`; every batch needs at least
    one labelled example. `compile(ae_optimizer=..., d_optimizer=...,
    g_optimizer=..., ss_optimizer=...)`. Metrics: `reconstruction`, `mse`,
    `d_loss` and `g_loss` (summed over the two discriminators), `d_y_real`,
    `d_y_fake`, `d_z_real`, `d_z_fake`, and `classification` (cross-entropy of the
    labelled examples).

    Args:
        input_shape: Shape of one example.
        num_classes: Size of the categorical code y.
        latent_dim: Size of the style code z.
        encoder: A `keras.Model` from examples to `[y logits, z]`, or `None`.
        decoder: A `keras.Model` from `[B, num_classes + latent_dim]` (y then z) to
            logits or means of the example's shape, or `None`.
        y_discriminator: A `keras.Model` from `[B, num_classes]` to one logit.
        z_discriminator: A `keras.Model` from `[B, latent_dim]` to one logit.
        hidden_units: Hidden widths of the default encoder; the decoder mirrors
            them (the paper: 1000, 1000).
        discriminator_units: Hidden widths of the default discriminators.
        discriminator_noise: Standard deviation of the Gaussian noise added to the
            default discriminators' inputs while training (0: none). Without it the
            y-discriminator can tell a softmax from an exact one-hot, which drives
            the softmax to saturate, and a saturated softmax passes the
            reconstruction's gradient on to q(y|x) no more.
        encoder_noise: Standard deviation of the Gaussian noise added to the
            default encoder's input while training (0: none); the reconstruction
            target stays the clean image.
        unlabelled_phases: Run the reconstruction and regularization phases on
            the batch's unlabelled examples only, the labelled ones going to the
            supervised phase alone (the paper's split); `False`: every example
            takes part in every phase.
        activation: Hidden activation of the encoder and decoder.
        likelihood: `"bernoulli"` or `"gaussian"` reconstruction.
        seed: Seed of the model's random stream.
        **kwargs: `keras.Model` arguments.

    Reference:
        Makhzani et al., "Adversarial autoencoders", arXiv:1511.05644, section 5.
    """

    sub_models = ("encoder", "decoder", "y_discriminator", "z_discriminator")
    optimizer_names = ("ae_optimizer", "d_optimizer", "g_optimizer", "ss_optimizer")
    optimizer_networks = {
        "ae_optimizer": ("encoder", "decoder"),
        "d_optimizer": ("y_discriminator", "z_discriminator"),
        "g_optimizer": ("encoder",),
        "ss_optimizer": ("encoder",),
    }
    network_arguments = {
        "encoder": ("hidden_units", "activation", "encoder_noise"),
        "decoder": ("hidden_units", "activation"),
        "y_discriminator": ("discriminator_units", "discriminator_noise"),
        "z_discriminator": ("discriminator_units", "discriminator_noise"),
    }
    takes_labels = True
    accepts_unlabelled = True
    needs_labelled_examples = True
    supervised = True
    evaluations = ("classes",)
    metric_names = (
        "reconstruction",
        "mse",
        "d_loss",
        "g_loss",
        "d_y_real",
        "d_y_fake",
        "d_z_real",
        "d_z_fake",
        "classification",
    )

    def __init__(
        self,
        input_shape=(28, 28, 1),
        num_classes=10,
        latent_dim=10,
        encoder=None,
        decoder=None,
        y_discriminator=None,
        z_discriminator=None,
        hidden_units=(1000, 1000),
        discriminator_units=(1000, 1000),
        discriminator_noise=0.0,
        unlabelled_phases=False,
        activation="relu",
        encoder_noise=0.0,
        likelihood="bernoulli",
        seed=None,
        **kwargs,
    ):
        super().__init__(
            input_shape, input_range=input_range_of(likelihood), seed=seed, **kwargs
        )
        self.num_classes = self._checked_num_classes(num_classes)
        self.latent_dim = networks._positive(latent_dim, "latent_dim")
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.discriminator_units = tuple(int(u) for u in discriminator_units)
        self.discriminator_noise = noise_std(discriminator_noise, "discriminator_noise")
        self.encoder_noise = noise_std(encoder_noise, "encoder_noise")
        self.unlabelled_phases = bool(unlabelled_phases)
        self.activation = activation
        self.likelihood = likelihood
        self._given_networks(
            encoder=encoder,
            decoder=decoder,
            y_discriminator=y_discriminator,
            z_discriminator=z_discriminator,
        )
        k, d = self.num_classes, self.latent_dim
        self.encoder = encoder or two_head_encoder(
            self.data_shape, k, d, self.hidden_units, activation, self.encoder_noise
        )
        self.decoder = decoder or networks.mlp_decoder(
            k + d, self.data_shape, self.hidden_units[::-1], activation
        )
        self.y_discriminator = y_discriminator or code_discriminator(
            k,
            self.discriminator_units,
            name="y_discriminator",
            input_noise=self.discriminator_noise,
        )
        self.z_discriminator = z_discriminator or code_discriminator(
            d,
            self.discriminator_units,
            name="z_discriminator",
            input_noise=self.discriminator_noise,
        )
        self._check_networks()
        names = self.metric_names
        if not self.supervised:
            names = [n for n in names if n != "classification"]
        # Every tracker exists before fit traces the step (see AAE).
        self._declare_metrics([*names, *(["bce"] if likelihood == "bernoulli" else [])])
        self.built = True

    def _check_networks(self):
        k, d = self.num_classes, self.latent_dim
        taken = tuple(self.encoder.inputs[0].shape[1:])
        heads = [tuple(o.shape[1:]) for o in self.encoder.outputs]
        if taken != self.data_shape or heads != [(k,), (d,)]:
            raise ValueError(
                f"The encoder must map {self.data_shape} to [({k},), ({d},)] (y "
                f"logits, style z), got {taken} -> {heads}."
            )
        decoder_in = tuple(self.decoder.inputs[0].shape[1:])
        made = tuple(self.decoder.outputs[0].shape[1:])
        if decoder_in != (k + d,) or made != self.data_shape:
            raise ValueError(
                f"The decoder must map ({k + d},) (y then z) to {self.data_shape}, "
                f"got {decoder_in} -> {made}."
            )
        for name, width in (("y_discriminator", k), ("z_discriminator", d)):
            net = getattr(self, name)
            if tuple(net.inputs[0].shape[1:]) != (width,):
                raise ValueError(
                    f"The {name} must take (batch, {width}), its input has shape "
                    f"{tuple(net.inputs[0].shape)}."
                )
            self.check_one_logit(net, name)

    # -- parts -----------------------------------------------------------------

    def _heads(self, x, training=False):
        logits, z = self.encoder(x, training=training)
        return as_float32(logits), as_float32(z)

    def _decode_params(self, y, z, training=False):
        return as_float32(self.decoder(ops.concatenate([y, z], -1), training=training))

    def _output(self, params):
        return ops.sigmoid(params) if self.likelihood == "bernoulli" else params

    def _one_hot_prior(self, n):
        classes = keras.random.randint(
            (n,), 0, self.num_classes, seed=self.seed_generator
        )
        return ops.one_hot(classes, self.num_classes)

    def _style_prior(self, n):
        return keras.random.normal((n, self.latent_dim), seed=self.seed_generator)

    @staticmethod
    def _logit(network, inputs, training=True):
        return ops.reshape(as_float32(network(inputs, training=training)), (-1,))

    # -- phases ----------------------------------------------------------------

    def _weights(self, labels):
        """Per-example weights of the reconstruction and regularization phases:
        `None` (every example counts once) unless `unlabelled_phases` and the batch
        has labels; then 0 for labelled examples and 1 / (the batch's share of
        unlabelled ones) for the others, so that a batch mean of weighted terms is
        the mean over the unlabelled examples."""
        if not (self.supervised and self.unlabelled_phases and labels is not None):
            return None
        mask = ops.cast(ops.reshape(labels, (-1,)) < 0, "float32")
        return mask / ops.maximum(distribute.global_mean(mask), 1e-6)

    @staticmethod
    def _masked(value, weights):
        return value if weights is None else (value, ops.cast(weights > 0, "float32"))

    def _reconstruction_terms(self, x, training=True, weights=None):
        logits, z = self._heads(x, training)
        params = self._decode_params(ops.softmax(logits), z, training)
        terms = losses.reconstruction_terms(x, params, self.likelihood)
        loss = terms.pop("loss")
        tracked = {k: self._masked(v, weights) for k, v in terms.items()}
        if weights is None:
            return {"reconstruction": loss} | tracked
        return {
            "ae_loss": loss * weights,
            "reconstruction": self._masked(loss, weights),
        } | tracked

    def _d_terms(self, x, weights=None):
        n = ops.shape(x)[0]
        logits, z = self._heads(x, training=True)
        terms = {}
        total = 0.0
        for key, net, real, fake in (
            ("y", self.y_discriminator, self._one_hot_prior(n), ops.softmax(logits)),
            ("z", self.z_discriminator, self._style_prior(n), z),
        ):
            real_logits, fake_logits = self._logit(net, real), self._logit(net, fake)
            if weights is None:
                total += losses.minimax_discriminator_loss(real_logits, fake_logits)
            else:
                # -log D(prior sample) for every prior sample, -log(1 - D(code))
                # for the unlabelled examples' codes.
                total += ops.softplus(-real_logits) + weights * ops.softplus(
                    fake_logits
                )
            terms[f"d_{key}_real"] = ops.sigmoid(real_logits)
            terms[f"d_{key}_fake"] = self._masked(ops.sigmoid(fake_logits), weights)
        return {"d_loss": total} | terms

    def _g_terms(self, x, weights=None):
        logits, z = self._heads(x, training=True)
        y_fake = self._logit(self.y_discriminator, ops.softmax(logits))
        z_fake = self._logit(self.z_discriminator, z)
        loss = losses.modified_generator_loss(y_fake) + losses.modified_generator_loss(
            z_fake
        )
        if weights is None:
            return {"g_loss": loss}
        return {
            "g_step": loss * weights,
            "g_loss": self._masked(loss, weights),
        }

    def _classification_terms(self, x, labels, training=True):
        logits, _ = self._heads(x, training)
        # `ss_loss` is minimized: phase() averages it over the batch, which gives
        # the mean cross-entropy of the labelled examples. The tracker sees that
        # mean as a weighted one.
        terms, ce, labelled = losses.labelled_cross_entropy(labels, logits)
        return {"ss_loss": terms, "classification": (ce, labelled)}

    def train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        w = self._weights(y)
        terms = self.phase(
            "ae_optimizer",
            lambda: self._reconstruction_terms(x, weights=w),
            "reconstruction" if w is None else "ae_loss",
        )
        terms.pop("ae_loss", None)
        terms |= self.phase("d_optimizer", lambda: self._d_terms(x, w), "d_loss")
        g = self.phase(
            "g_optimizer",
            lambda: self._g_terms(x, w),
            "g_loss" if w is None else "g_step",
        )
        g.pop("g_step", None)
        terms |= g
        if self.supervised and y is not None:
            ss = self.phase(
                "ss_optimizer", lambda: self._classification_terms(x, y), "ss_loss"
            )
            ss.pop("ss_loss")
            terms |= ss
        return self._update_metric_trackers(terms)

    def compute_losses(self, x, y=None, training=False):
        """Reconstruction terms, and the classification cross-entropy of the
        labelled examples when labels are given."""
        terms = self._reconstruction_terms(x, training)
        if self.supervised and y is not None:
            ss = self._classification_terms(x, y, training)
            terms["classification"] = ss["classification"]
        return terms

    def test_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self._update_metric_trackers(self.compute_losses(x, y))

    # -- verbs -----------------------------------------------------------------

    def call(self, x, training=False):
        """Reconstructions of a batch (from q(y|x) and z)."""
        self._check_shape(x.shape, "call")
        logits, z = self._heads(x, training)
        return self._output(self._decode_params(ops.softmax(logits), z, training))

    def classify(self, x):
        """q(y|x) `[B, num_classes]`."""
        logits, _ = self._heads(self.validate_inputs(x, "classify"))
        return ops.softmax(logits)

    def predict_classes(self, x, batch_size=1000):
        """argmax q(y|x) for every example of an array, as int numpy."""
        x = np.asarray(x)
        parts = [
            np.argmax(np.asarray(self.classify(x[i : i + batch_size])), -1)
            for i in range(0, len(x), batch_size)
        ]
        return np.concatenate(parts).astype("int32")

    def encode(self, x):
        """The style code z `[B, latent_dim]` of a batch (`classify` gives y)."""
        return self._heads(self.validate_inputs(x, "encode"))[1]

    def reconstruct(self, x):
        return self.call(self.validate_inputs(x, "reconstruct"))

    def decode(self, z, labels):
        """Decoder outputs for styles `z` `[B, latent_dim]` and classes `labels`."""
        # Numeric, finite, (batch, latent_dim): a NaN style was decoded before.
        z = self.check_codes(z, "decode")
        labels = self._check_class_labels(labels, "decode", len(z))
        y = ops.one_hot(tf.constant(labels), self.num_classes)
        return self._output(self._decode_params(y, z))

    def sample(self, n, labels=None):
        """Decoded N(0, I) styles with the given classes (random ones if None)."""
        n = self._check_count(n)
        if labels is None:
            labels = keras.random.randint(
                (n,), 0, self.num_classes, seed=self.seed_generator
            ).numpy()
        return self.decode(self._style_prior(n), labels)

    def get_config(self):
        config = super().get_config() | {
            "num_classes": self.num_classes,
            "latent_dim": self.latent_dim,
            "hidden_units": list(self.hidden_units),
            "discriminator_units": list(self.discriminator_units),
            "discriminator_noise": self.discriminator_noise,
            "encoder_noise": self.encoder_noise,
            "unlabelled_phases": self.unlabelled_phases,
            "activation": self.activation,
            "likelihood": self.likelihood,
        }
        return self._with_networks(config)
