"""`SemiSupervisedGAN`: the K+1-class GAN of Salimans et al. 2016, section 5.

The discriminator is a K-class classifier whose K+1-th "fake" class has its logit
fixed at 0, so D(x) = Z(x) / (Z(x) + 1) with Z = sum_k exp(l_k). It descends
L_supervised (the cross-entropy of the labelled examples over the K classes) plus
L_unsupervised = -E log D(x) - E log(1 - D(G(z))); the generator descends feature
matching on a discriminator layer. Classes are predicted by argmax of the logits,
from a moving average of the discriminator's weights when `ema_decay` is set.
"""

import keras
import numpy as np
from keras import layers, ops

from .. import distribute, losses
from ..gan_layers import WeightNormDense, data_init_weight_norm
from .gan import GAN
from .networks import synced_batch_norm
from .shapes import noise_std


def ssgan_discriminator(
    input_shape,
    num_classes,
    units=(1000, 500, 250, 250, 250),
    input_noise=0.3,
    hidden_noise=0.5,
    train_hidden_scales=True,
    kernel_stddev=0.1,
):
    """The released code's MNIST discriminator: Gaussian noise on the input,
    weight-normalized dense ReLU layers each followed by Gaussian noise, K
    weight-normalized logits. The last hidden layer is named `features`. With
    `train_hidden_scales=False` the hidden layers' scales g stay those of the
    data-dependent initialization (as in the released code; only the logits'
    scale is trained). The directions v start from N(0, `kernel_stddev`), the
    released code's 0.1: with `WeightNormDense`'s default 0.05 every Adam step
    turned them twice as far, and the classifier degraded after epoch 3
    (benchmarks/results/ssgan_runs.md, "The port": `library_discriminator`)."""
    input_noise = noise_std(input_noise, "input_noise")
    hidden_noise = noise_std(hidden_noise, "hidden_noise")
    init = keras.initializers.RandomNormal(
        stddev=noise_std(kernel_stddev, "kernel_stddev")
    )
    x = keras.Input(tuple(input_shape), name="x")
    h = layers.GaussianNoise(input_noise)(layers.Flatten()(x))
    for i, width in enumerate(units):
        name = "features" if i == len(units) - 1 else None
        h = WeightNormDense(
            int(width),
            activation="relu",
            train_scale=train_hidden_scales,
            kernel_initializer=init,
            name=name,
        )(h)
        h = layers.GaussianNoise(hidden_noise)(h)
    logits = WeightNormDense(int(num_classes), kernel_initializer=init)(h)
    return keras.Model(x, logits, name="discriminator")


def ssgan_generator(latent_dim, output_shape, units=(500, 500), batch_norm="after"):
    """z -> softplus layers with batch norm -> a weight-normalized sigmoid layer
    (the released code's MNIST generator). `batch_norm="before"` normalizes the
    pre-activations (with a shift, no scale) as the released code does; `"after"`
    normalizes the softplus outputs (with scale and shift)."""
    if batch_norm not in ("after", "before"):
        raise ValueError(f"batch_norm must be 'after' or 'before', got {batch_norm!r}.")
    z = keras.Input((int(latent_dim),), name="z")
    h = z
    for width in units:
        if batch_norm == "before":
            h = layers.Dense(int(width), use_bias=False)(h)
            h = layers.Activation("softplus")(synced_batch_norm(scale=False)(h))
        else:
            h = layers.Dense(int(width), activation="softplus")(h)
            h = synced_batch_norm()(h)
    h = WeightNormDense(int(np.prod(output_shape)), activation="sigmoid")(h)
    return keras.Model(z, layers.Reshape(tuple(output_shape))(h), name="generator")


@keras.saving.register_keras_serializable(package="keras_gen")
class SemiSupervisedGAN(GAN):
    """Semi-supervised GAN with a K+1-class discriminator (fake logit fixed at 0).

    `fit` takes `(x, y)` batches with y in [0, num_classes) or -1 (unlabelled),
    e.g. from `keras_gen.data.load_semi_supervised`; every batch needs a labelled
    example. Metrics: `d_loss`, `supervised` (cross-entropy of the labelled
    examples), `unsupervised`, `g_loss` (-log D(G(z)), tracked), and
    `feature_matching` (what the generator descends).

    Args:
        input_shape: Shape of one example.
        num_classes: K.
        latent_dim: Size of z (uniform on [0, 1] in the paper: `noise="uniform01"`
            is not offered; the default U(-1, 1) is an affine change of it that the
            first layer absorbs).
        discriminator: A `keras.Model` from examples to K logits, or `None` for
            `ssgan_discriminator`.
        generator: A `keras.Model` from z to examples, or `None`.
        generator_units: Hidden widths of the default generator.
        discriminator_units: Hidden widths of the default discriminator.
        feature_matching: The discriminator layer the generator matches
            (default `"features"`, the last hidden layer of the default network).
        classifier_ema_decay: `None`, or the decay of a moving average of the
            discriminator's weights (`discriminator_ema`) that `predict_classes`
            uses, as the released code scores its test error.
        unsupervised_weight: The weight of L_unsupervised in the discriminator's
            loss (the released code's is 1/2).
        unsupervised_examples: `"unlabelled"` (default): L_unsupervised's real
            term and the generator's matched features take only the examples
            labelled -1 (as the released code, whose unlabelled batch is
            separate from the labelled one), or every example if a batch has
            none; `"all"`: every real example of the batch. With `"all"` the
            100 labelled MNIST images, half of every batch, pull the matched
            features towards themselves and the classifier collapsed
            (benchmarks/results/ssgan_runs.md, run 1 and "The port").
        train_hidden_scales: `ssgan_discriminator`'s argument.
        generator_batch_norm: `ssgan_generator`'s `batch_norm`.
        **game: The `GAN` game arguments (`ema_decay`, `seed`, ...).

    Reference:
        Salimans et al., "Improved techniques for training GANs", NeurIPS 2016.
    """

    takes_labels = True
    accepts_unlabelled = True
    needs_labelled_examples = True
    metric_names = ("d_loss", "supervised", "unsupervised", "g_loss")
    evaluations = ("classes",)
    network_arguments = {
        "generator": ("generator_units", "generator_batch_norm"),
        "discriminator": ("discriminator_units", "train_hidden_scales"),
    }

    def __init__(
        self,
        input_shape=(28, 28, 1),
        num_classes=10,
        latent_dim=100,
        generator=None,
        discriminator=None,
        generator_units=(500, 500),
        discriminator_units=(1000, 500, 250, 250, 250),
        feature_matching="features",
        classifier_ema_decay=None,
        unsupervised_weight=1.0,
        unsupervised_examples="unlabelled",
        train_hidden_scales=True,
        generator_batch_norm="after",
        **game,
    ):
        self.num_classes = self._checked_num_classes(num_classes)
        self.generator_units = tuple(int(u) for u in generator_units)
        self.discriminator_units = tuple(int(u) for u in discriminator_units)
        self.unsupervised_weight = _positive_weight(unsupervised_weight)
        if unsupervised_examples not in ("all", "unlabelled"):
            raise ValueError(
                "unsupervised_examples must be 'all' or 'unlabelled', got "
                f"{unsupervised_examples!r}."
            )
        self.unsupervised_examples = unsupervised_examples
        self.train_hidden_scales = bool(train_hidden_scales)
        self.generator_batch_norm = generator_batch_norm
        self._init_game(
            input_shape,
            latent_dim,
            generator
            or ssgan_generator(
                latent_dim, input_shape, self.generator_units, generator_batch_norm
            ),
            discriminator
            or ssgan_discriminator(
                input_shape,
                self.num_classes,
                self.discriminator_units,
                train_hidden_scales=self.train_hidden_scales,
            ),
            feature_matching=feature_matching,
            **game,
        )
        self._given_networks(generator=generator, discriminator=discriminator)
        self.classifier_ema_decay = classifier_ema_decay
        self.discriminator_ema = None
        if classifier_ema_decay is not None:
            self.keep_average("discriminator", classifier_ema_decay)

    def initialize(self, x):
        """The data-dependent initialization of the discriminator's
        weight-normalized layers on the real batch `x` (Salimans & Kingma 2016;
        the released code does it once, before training).

        The generator's weight-normalized output layer keeps g = 1, as in the
        released code. Initializing it on noise (what this did before 2026-12-06)
        standardized its pre-activations under the batch norm's initial moving
        statistics; with batch statistics, as in training, they were about ten
        times wider, every pixel's sigmoid saturated from the first step, and the
        generator collapsed onto one binary image within 100 steps
        (benchmarks/results/ssgan_runs.md, "Pilots")."""
        x = self.validate_inputs(x, "initialize")
        data_init_weight_norm(self.discriminator, x)
        # The averaged classifier starts from the initialized weights, not from the
        # copy made at construction (which decay 0.999 would keep for an epoch).
        self.reset_averages()

    def fit_recipe(self, train, *, epochs, callbacks=(), verbose=2, recipe=None):
        """`initialize` on the first training batch, then `fit`."""
        first = next(iter(train))
        self.initialize(first[0] if isinstance(first, tuple) else first)
        return super().fit_recipe(
            train, epochs=epochs, callbacks=callbacks, verbose=verbose, recipe=recipe
        )

    def _check_networks(self):
        logits = self.logits_shape(self.discriminator)
        if logits != (self.num_classes,):
            raise ValueError(
                f"The discriminator must output {self.num_classes} class logits "
                f"(the fake class's is fixed at 0), got (batch, {logits})."
            )

    def _d_loss(self, real, fake, labels):
        real_logits = self.discriminate(real, labels, training=True)[1]
        fake_logits = self.discriminate(fake, labels, training=True)[1]
        # The mean cross-entropy of the labelled examples, through the batch mean.
        supervised, ce, labelled = losses.labelled_cross_entropy(labels, real_logits)
        real_term = losses.k_plus_one_real_loss(real_logits)
        weights = self._matched_weights(labels)
        if weights is not None:
            # A weighted mean over the global batch, through the batch mean.
            real_term = (
                real_term * weights / ops.maximum(distribute.global_mean(weights), 1e-6)
            )
        unsupervised = self.unsupervised_weight * (
            real_term + losses.k_plus_one_fake_loss(fake_logits)
        )
        return {
            "d_loss": supervised + unsupervised,
            "supervised": (ce, labelled),
            "unsupervised": unsupervised,
        }

    def _g_loss(self, fake_logits):
        return losses.k_plus_one_real_loss(fake_logits)

    def _matched_weights(self, labels):
        """The 0/1 weights of the unlabelled examples with
        `unsupervised_examples="unlabelled"` (all ones if the global batch has
        none), else `None` (every example)."""
        if self.unsupervised_examples == "all" or labels is None:
            return None
        unlabelled = ops.cast(ops.reshape(labels, (-1,)) < 0, "float32")
        return ops.where(
            distribute.global_mean(unlabelled) > 0,
            unlabelled,
            ops.ones_like(unlabelled),
        )

    def _test_terms(self, x, labels):
        fake = self._generate(self._noise(ops.shape(x)[0]), labels)
        terms = self._d_loss(x, fake, labels)
        terms["g_loss"] = self._g_loss(self.discriminate(fake)[1])
        return terms

    def call(self, inputs, training=False):
        """The K class logits `[B, K]` of a batch."""
        self._check_shape(inputs.shape, "call")
        return self.discriminate(inputs, training=training)[1]

    def _classifier(self):
        return self.discriminator_ema or self.discriminator

    def predict_classes(self, x, batch_size=1000):
        """argmax of the class logits (of the averaged discriminator if kept)."""
        x = np.asarray(self.validate_inputs(x, "predict_classes"))
        net = self._classifier()
        return np.concatenate(
            [
                np.argmax(np.asarray(net(x[i : i + batch_size], training=False)), -1)
                for i in range(0, len(x), batch_size)
            ]
        ).astype("int32")

    def get_config(self):
        config = self._game_config() | {
            "num_classes": self.num_classes,
            "generator_units": list(self.generator_units),
            "discriminator_units": list(self.discriminator_units),
            "classifier_ema_decay": self.classifier_ema_decay,
            "unsupervised_weight": self.unsupervised_weight,
            "unsupervised_examples": self.unsupervised_examples,
            "train_hidden_scales": self.train_hidden_scales,
            "generator_batch_norm": self.generator_batch_norm,
        }
        return self._with_networks(config)


def _positive_weight(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"unsupervised_weight must be a number, got {type(value).__name__}."
        )
    if not value > 0:
        raise ValueError(f"unsupervised_weight must be positive, got {value}.")
    return float(value)
