"""`GAN`: the 2014 minimax game on the adversarial core.

`GAN.train_step` is Algorithm 1 of Goodfellow et al. 2014: k = `d_steps`
discriminator updates, each on a fresh minibatch of m real examples and m noise
samples, then one generator update. `fit` regroups the data so that one step holds the
k real minibatches of one training iteration, so an epoch is still one pass over the
data for the discriminator. `DCGAN`, `ConditionalGAN` and `WGANGP` change the players
or the losses and keep this game.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from .. import losses
from . import networks
from .adversarial import AdversarialModel
from .base import as_float32
from .shapes import positive_int

GENERATOR_LOSSES = {
    "non_saturating": losses.modified_generator_loss,
    "minimax": losses.minimax_generator_loss,
}


def _minibatch_option(value, discriminator):
    """`(num_kernels, kernel_dim)` of the default discriminator's minibatch layer."""
    if value is None:
        return None
    if discriminator is not None:
        raise ValueError(
            "minibatch_discrimination shapes the default discriminator; with a "
            "discriminator of your own, put a keras_gen.layers."
            "MinibatchDiscrimination layer in it instead."
        )
    try:
        kernels, dim = (int(v) for v in value)
        ok = kernels >= 1 and dim >= 1 and all(not isinstance(v, bool) for v in value)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            "minibatch_discrimination must be None or (num_kernels >= 1, "
            f"kernel_dim >= 1), got {value!r}."
        )
    return (kernels, dim)


@keras.saving.register_keras_serializable(package="keras_gen")
class GAN(AdversarialModel):
    """Generative adversarial net trained as the two-player minimax game.

    `compile(d_optimizer=..., g_optimizer=...)` takes one optimizer per player; the
    paper's SGD with momentum is `keras.optimizers.SGD(0.1, momentum=0.5)`. Metrics:
    `d_loss` (-[log D(x) + log(1 - D(G(z)))]), `g_loss`, `d_real` (mean D(x)) and
    `d_fake` (mean D(G(z))). `call(x)` returns the discriminator's logits.

    Args:
        input_shape: Shape of one example.
        latent_dim: Size of the noise vector z.
        generator: A `keras.Model` from z to examples, or `None` for the paper's
            1200-1200 ReLU network with a sigmoid output.
        discriminator: A `keras.Model` from examples to one logit, or `None` for the
            paper's two maxout layers (240 units, 5 pieces) with dropout.
        generator_units: Hidden widths of the default generator.
        discriminator_units: Hidden widths of the default discriminator.
        maxout_pieces: Pieces per maxout unit of the default discriminator.
        generator_batch_norm: Batch normalization after each hidden layer of the
            default generator (not in the 2014 paper; it keeps an Adam-trained
            generator from collapsing onto a few modes).
        d_steps: k, discriminator updates per generator update (>= 1).
        generator_loss: `"non_saturating"` (descend -log D(G(z))) or `"minimax"`
            (descend log(1 - D(G(z))), the literal game, which saturates early on).
        label_smoothing: One-sided label smoothing of the real targets.
        noise: Prior of z: `"uniform"` on [-1, 1] or `"normal"`.
        input_range: `(low, high)` of the data (the default networks' sigmoid
            output makes [0, 1]), or `None` for unbounded data such as 2-D toys.
        ema_decay: `None`, or a decay in [0, 1) of an exponential moving average
            of the generator's weights (and batch-norm statistics), updated after
            every generator step: `ema = decay * ema + (1 - decay) * weights`.
            The averaged copy, `generator_ema`, is what `generate` and `sample`
            use; the game goes on with the raw generator (Yazici et al. 2019
            measured the average to give better samples). The generator must be
            clonable by `keras.models.clone_model` (functional or sequential).
        feature_matching: `None`; or the generator descends feature matching
            (Salimans et al. 2016, section 3.1), ||E_x f(x) - E_z f(G(z))||^2 over
            each minibatch, instead of `generator_loss`, with f the output of the
            discriminator layer of that name, or (`True`) the features of a
            discriminator returning `[features, logits]`. The discriminator trains
            as usual; `g_loss` is still tracked and `feature_matching` is added.
        historical_averaging: `None`, or a weight lambda > 0: each player's
            update also descends lambda ||theta - (1/t) sum_i theta[i]||^2, the
            mean over its weights after every step so far (Salimans et al. 2016,
            section 3.3), kept as non-trainable weights saved with the model.
        minibatch_discrimination: `None`, or `(num_kernels, kernel_dim)`: the
            default discriminator gets a `layers.MinibatchDiscrimination` layer
            before its logit (Salimans et al. 2016, section 3.2). With a
            discriminator of your own, put the layer in it instead.
        seed: Seed of the noise stream.
        **kwargs: `keras.Model` arguments such as `name`.

    Example:
        >>> gan = keras_gen.GAN(latent_dim=100, d_steps=1)
        >>> gan.compile(d_optimizer=keras.optimizers.SGD(0.1, momentum=0.5),
        ...             g_optimizer=keras.optimizers.SGD(0.1, momentum=0.5))
        >>> gan.fit(keras_gen.data.load("mnist", "train", 100, supervised=False))

    Reference:
        Goodfellow et al., "Generative adversarial nets", NIPS 2014.
    """

    sub_models = ("generator", "discriminator")
    optimizer_names = ("d_optimizer", "g_optimizer")
    optimizer_networks = {
        "d_optimizer": ("discriminator",),
        "g_optimizer": ("generator",),
    }
    network_arguments = {
        "generator": ("generator_units", "generator_batch_norm"),
        "discriminator": ("discriminator_units", "maxout_pieces"),
    }
    metric_names = ("d_loss", "g_loss", "d_real", "d_fake")
    evaluations = ("samples",)
    # G takes class labels only in ConditionalGAN; any other GAN refuses them.
    conditional_sampling = False

    def __init__(
        self,
        input_shape=(28, 28, 1),
        latent_dim=100,
        generator=None,
        discriminator=None,
        generator_units=(1200, 1200),
        discriminator_units=(240, 240),
        maxout_pieces=5,
        generator_batch_norm=False,
        **game,
    ):
        self.generator_units = tuple(generator_units)
        self.discriminator_units = tuple(discriminator_units)
        self.maxout_pieces = int(maxout_pieces)
        self.generator_batch_norm = bool(generator_batch_norm)
        self._init_game(input_shape, latent_dim, generator, discriminator, **game)

    def _init_game(
        self,
        input_shape,
        latent_dim,
        generator,
        discriminator,
        d_steps=1,
        generator_loss="non_saturating",
        label_smoothing=0.0,
        noise="uniform",
        input_range=(0.0, 1.0),
        ema_decay=None,
        feature_matching=None,
        historical_averaging=None,
        minibatch_discrimination=None,
        seed=None,
        **kwargs,
    ):
        """The game's arguments, shared by every GAN whatever its players."""
        AdversarialModel.__init__(
            self, input_shape, input_range=input_range, seed=seed, **kwargs
        )
        if isinstance(d_steps, bool) or int(d_steps) != d_steps or d_steps < 1:
            raise ValueError(f"d_steps must be an integer >= 1, got {d_steps!r}.")
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(
                f"generator_loss must be one of {sorted(GENERATOR_LOSSES)}, got "
                f"{generator_loss!r}."
            )
        if noise not in ("uniform", "normal"):
            raise ValueError(f"noise must be 'uniform' or 'normal', got {noise!r}.")
        if not 0 <= label_smoothing < 1:
            raise ValueError(
                f"label_smoothing must be in [0, 1), got {label_smoothing!r}."
            )
        self.latent_dim = positive_int(latent_dim, "latent_dim")
        self.d_steps = int(d_steps)
        self.generator_loss = generator_loss
        self.label_smoothing = float(label_smoothing)
        self.noise = noise
        self.minibatch_discrimination = _minibatch_option(
            minibatch_discrimination, discriminator
        )
        self._given_networks(generator=generator, discriminator=discriminator)
        self.generator = generator or self._default_generator()
        self.discriminator = discriminator or self._default_discriminator()
        self._check_networks()
        self.feature_matching = feature_matching
        # Not tracked (it shares the discriminator's layers and weights).
        object.__setattr__(self, "_scorer", self._feature_scorer())
        self.historical_averaging = None
        if historical_averaging is not None:
            if isinstance(historical_averaging, bool) or not historical_averaging > 0:
                raise ValueError(
                    "historical_averaging must be None or a weight > 0, got "
                    f"{historical_averaging!r}."
                )
            self.historical_averaging = float(historical_averaging)
            for network in ("generator", "discriminator"):
                self.keep_history(network, self.historical_averaging)
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self.generator_ema = None
        if ema_decay is not None:
            self.keep_average("generator", ema_decay)
        fm = ("feature_matching",) if feature_matching is not None else ()
        self._declare_metrics(self.metric_names + fm)
        self.built = True  # the sub-networks are functional and built already

    # -- networks --------------------------------------------------------------

    def _default_generator(self):
        return networks.gan_mlp_generator(
            self.latent_dim,
            self.data_shape,
            self.generator_units,
            batch_norm=self.generator_batch_norm,
            num_classes=self.num_classes,
        )

    def _default_discriminator(self):
        return networks.gan_mlp_discriminator(
            self.data_shape,
            self.discriminator_units,
            self.maxout_pieces,
            num_classes=self.num_classes,
            minibatch=self.minibatch_discrimination,
        )

    def _check_networks(self):
        z_shape = self.generator.inputs[0].shape
        if tuple(z_shape[1:]) != (self.latent_dim,):
            raise ValueError(
                f"The generator must take z of shape (batch, {self.latent_dim}), its "
                f"input has shape {tuple(z_shape)}."
            )
        made = tuple(self.generator.outputs[0].shape[1:])
        taken = tuple(self.discriminator.inputs[0].shape[1:])
        if made != self.data_shape or taken != self.data_shape:
            raise ValueError(
                f"The generator makes examples of shape (batch, {made}) and the "
                f"discriminator takes (batch, {taken}); both must be the data shape "
                f"(batch, {self.data_shape})."
            )
        self.check_one_logit(self.discriminator)

    def _feature_scorer(self):
        """The network `discriminate` calls: the discriminator, or a view of it
        returning `[features of the feature_matching layer, logits]`."""
        fm, disc = self.feature_matching, self.discriminator
        if fm is None:
            return disc
        if fm is True:
            if len(disc.outputs) != 2:
                raise ValueError(
                    "feature_matching=True needs a discriminator returning "
                    f"[features, logits], got {len(disc.outputs)} output(s); or "
                    "name one of its layers."
                )
            return disc
        if not isinstance(fm, str):
            raise TypeError(
                "feature_matching must be None, True or a discriminator layer name, "
                f"got {type(fm).__name__}."
            )
        names = [layer.name for layer in disc.layers]
        if fm not in names:
            raise ValueError(
                f"feature_matching layer {fm!r} is not a layer of the discriminator; "
                f"its layers are: {', '.join(names)}."
            )
        return keras.Model(
            disc.inputs, [disc.get_layer(fm).output, disc.outputs[-1]], name="scorer"
        )

    def _generator_for(self, training):
        # Training plays the raw generator; sampling uses the average when kept.
        if training or self.generator_ema is None:
            return self.generator
        return self.generator_ema

    def _generate(self, z, labels=None, training=False):
        return self._generator_for(training)(z, training=training)

    def discriminate(self, x, labels=None, training=False):
        """`(features, logits)` of the discriminator (features None unless it
        returns `[features, logits]`), logits in float32."""
        features, logits = self.split_outputs(
            self._discriminator_outputs(x, labels, training)
        )
        return features, as_float32(logits)

    def _discriminator_outputs(self, x, labels, training):
        return self._scorer(x, training=training)

    def _discriminate(self, x, labels=None, training=False):
        return ops.reshape(self.discriminate(x, labels, training)[1], (-1,))

    def _noise(self, n):
        if self.noise == "uniform":
            return keras.random.uniform(
                (n, self.latent_dim), -1.0, 1.0, seed=self.seed_generator
            )
        return keras.random.normal((n, self.latent_dim), seed=self.seed_generator)

    def _matched_weights(self, labels):
        """Weights of the real examples whose features the generator matches
        (`None`: all of them equally)."""
        return None

    @property
    def minibatches_per_step(self):
        return self.d_steps

    # -- the game --------------------------------------------------------------

    def _d_loss(self, real, fake, labels):
        real_logits = self._discriminate(real, labels, training=True)
        fake_logits = self._discriminate(fake, labels, training=True)
        loss = losses.minimax_discriminator_loss(
            real_logits, fake_logits, self.label_smoothing
        )
        return {
            "d_loss": loss,
            "d_real": ops.sigmoid(real_logits),
            "d_fake": ops.sigmoid(fake_logits),
        }

    def _g_loss(self, fake_logits):
        return GENERATOR_LOSSES[self.generator_loss](fake_logits)

    def train_step(self, data):
        minibatches = self.minibatches(data)
        # Phase 1: k discriminator updates, each on fresh real and noise minibatches.
        for real, y in minibatches:
            fake = self._generate(self._noise(ops.shape(real)[0]), y, training=True)
            d_terms = self.phase(
                "d_optimizer",
                lambda real=real, fake=fake, y=y: self._d_loss(real, fake, y),
                minimize="d_loss",
            )
        # Phase 2: one generator update on a fresh noise minibatch.
        real, y = minibatches[-1]
        m = ops.shape(real)[0]

        def g_terms():
            fake = self._generate(self._noise(m), y, training=True)
            fake_features, fake_logits = self.discriminate(fake, y, training=True)
            terms = {"g_loss": self._g_loss(fake_logits)}
            if self.feature_matching is not None:
                real_features = self.discriminate(real, y, training=True)[0]
                terms["feature_matching"] = losses.feature_matching_loss(
                    real_features, fake_features, self._matched_weights(y)
                )
            return terms

        minimize = "g_loss" if self.feature_matching is None else "feature_matching"
        terms = d_terms | self.phase("g_optimizer", g_terms, minimize=minimize)
        self.update_averages()
        self.update_histories()
        return self._update_metric_trackers(terms)

    def _test_terms(self, x, labels):
        fake = self._generate(self._noise(ops.shape(x)[0]), labels)
        return self._evaluation_terms(
            self._discriminate(x, labels), self._discriminate(fake, labels)
        )

    def _evaluation_terms(self, real_logits, fake_logits):
        """The game's metrics from the logits of real and generated examples."""
        return {
            "d_loss": losses.minimax_discriminator_loss(real_logits, fake_logits),
            "g_loss": self._g_loss(fake_logits),
            "d_real": ops.sigmoid(real_logits),
            "d_fake": ops.sigmoid(fake_logits),
        }

    def test_step(self, data):
        x, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self._update_metric_trackers(self._test_terms(x, labels))

    # -- verbs -----------------------------------------------------------------

    def call(self, inputs, training=False):
        """The discriminator's logits `[B]` for a batch of examples."""
        self._check_shape(inputs.shape, "call")
        return self._discriminate(inputs, training=training)

    def generate(self, z, labels=None):
        """G(z) for given noise `z` `[n, latent_dim]` (deterministic, no dropout)."""
        if not self.conditional_sampling:
            self._refuse_labels(labels, "generate")
        z = tf.convert_to_tensor(z, "float32")
        if z.shape.rank != 2 or z.shape[-1] != self.latent_dim:
            raise ValueError(
                f"z must have shape (n, {self.latent_dim}), got {tuple(z.shape)}."
            )
        return as_float32(self._generate(z, labels, training=False))

    def sample(self, n, labels=None):
        """Generator samples G(z), z drawn from the noise prior."""
        n = self._check_count(n)
        self._refuse_labels(labels, "sample")
        return as_float32(self._generate(self._noise(n), labels, training=False))

    def noise_batch(self, n, seed=0):
        """`n` noise vectors from the prior, drawn by numpy with a fixed seed."""
        rng = np.random.default_rng(seed)
        if self.noise == "uniform":
            return rng.uniform(-1, 1, (n, self.latent_dim)).astype("float32")
        return rng.standard_normal((n, self.latent_dim)).astype("float32")

    # -- config ----------------------------------------------------------------

    def _game_config(self):
        return AdversarialModel.get_config(self) | {
            "latent_dim": self.latent_dim,
            "d_steps": self.d_steps,
            "generator_loss": self.generator_loss,
            "label_smoothing": self.label_smoothing,
            "noise": self.noise,
            "input_range": None if self.input_range is None else list(self.input_range),
            "ema_decay": self.ema_decay,
            "feature_matching": self.feature_matching,
            "historical_averaging": self.historical_averaging,
            "minibatch_discrimination": None
            if self.minibatch_discrimination is None
            else list(self.minibatch_discrimination),
        }

    def _architecture_config(self):
        return {
            "generator_units": list(self.generator_units),
            "discriminator_units": list(self.discriminator_units),
            "maxout_pieces": self.maxout_pieces,
            "generator_batch_norm": self.generator_batch_norm,
        }

    def get_config(self):
        return self._with_networks(self._game_config() | self._architecture_config())
