"""GANs: the 2014 minimax game (`GAN`) and `DCGAN`.

`GAN.train_step` is Algorithm 1 of Goodfellow et al. 2014: k = `d_steps`
discriminator updates, each on a fresh minibatch of m real examples and m noise
samples, then one generator update. `fit` regroups the data so that one step holds the
k real minibatches of one training iteration, so an epoch is still one pass over the
data for the discriminator.
"""

import numbers

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from .. import distribute, losses
from . import networks
from .base import GenerativeModel

GENERATOR_LOSSES = {
    "non_saturating": losses.modified_generator_loss,
    "minimax": losses.minimax_generator_loss,
}


@keras.saving.register_keras_serializable(package="keras_gen")
class GAN(GenerativeModel):
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
    conditional = False

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
        d_steps=1,
        generator_loss="non_saturating",
        label_smoothing=0.0,
        noise="uniform",
        input_range=(0.0, 1.0),
        ema_decay=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(input_shape, input_range=input_range, seed=seed, **kwargs)
        if ema_decay is not None and (
            isinstance(ema_decay, bool)
            or not isinstance(ema_decay, numbers.Real)
            or not 0 <= ema_decay < 1
        ):
            raise ValueError(
                f"ema_decay must be None or a number in [0, 1), got {ema_decay!r}."
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
        self.latent_dim = int(latent_dim)
        self.generator_units = tuple(generator_units)
        self.discriminator_units = tuple(discriminator_units)
        self.maxout_pieces = int(maxout_pieces)
        self.generator_batch_norm = bool(generator_batch_norm)
        self.d_steps = int(d_steps)
        self.generator_loss = generator_loss
        self.label_smoothing = float(label_smoothing)
        self.noise = noise
        self.generator = generator or self._default_generator()
        self.discriminator = discriminator or self._default_discriminator()
        self._check_networks()
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self.generator_ema = None
        if self.ema_decay is not None:
            try:
                self.generator_ema = keras.models.clone_model(self.generator)
            except (ValueError, TypeError) as error:
                raise TypeError(
                    "ema_decay needs a generator that keras.models.clone_model can "
                    "copy (a functional or sequential model), got "
                    f"{type(self.generator).__name__}: {error}"
                ) from error
            self.generator_ema.set_weights(self.generator.get_weights())
            self.generator_ema.trainable = False
        self.d_optimizer = self.g_optimizer = None
        self._declare_metrics(self.metric_names)
        self.built = True  # the sub-networks are functional and built already

    metric_names = ("d_loss", "g_loss", "d_real", "d_fake")
    metric_docs = {
        "parzen_log_likelihood": "mean log p(x) of the test images under a "
        "Gaussian Parzen window on the samples, nats (higher is better; the 2014 "
        "paper: 225 +- 2)",
        "parzen_sigma": "kernel width, chosen on the validation images",
        "parzen_std_error": "std / sqrt(test images) of the log-likelihoods",
        "fid": "Frechet distance of mnist_classifier features, samples vs test "
        "images (lower is better; not comparable with InceptionV3 FIDs)",
        "inception_score": "exp E KL(p(y|x) || p(y)) on mnist_classifier "
        "posteriors, 10 splits (10 at most)",
        "min_class_fraction": "smallest share of samples the classifier puts in "
        "one digit class",
        "max_class_fraction": "largest share of samples in one digit class",
        "label_accuracy": "share of samples the classifier assigns to the label "
        "they were generated for",
    }

    # -- networks --------------------------------------------------------------

    def _default_generator(self):
        return networks.gan_mlp_generator(
            self.latent_dim,
            self.data_shape,
            self.generator_units,
            batch_norm=self.generator_batch_norm,
            num_classes=self._label_classes(),
        )

    def _default_discriminator(self):
        return networks.gan_mlp_discriminator(
            self.data_shape,
            self.discriminator_units,
            self.maxout_pieces,
            num_classes=self._label_classes(),
        )

    def _label_classes(self):
        # Conditional subclasses set `num_classes`; the builders then add a label input.
        return getattr(self, "num_classes", None)

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
        scores = tuple(self.discriminator.outputs[0].shape[1:])
        if scores not in ((), (1,)):
            raise ValueError(
                "The discriminator must output one logit per example, shape (batch, "
                f"1), got (batch, {scores})."
            )

    def _generator_for(self, training):
        # Training plays the raw generator; sampling uses the average when kept.
        if training or self.generator_ema is None:
            return self.generator
        return self.generator_ema

    def _generate(self, z, labels=None, training=False):
        return self._generator_for(training)(z, training=training)

    def _update_generator_ema(self):
        if self.generator_ema is None:
            return
        decay = self.ema_decay
        for average, weight in zip(
            self.generator_ema.weights, self.generator.weights, strict=True
        ):
            average.assign(decay * average + (1.0 - decay) * weight)

    def _discriminate(self, x, labels=None, training=False):
        return ops.reshape(self.discriminator(x, training=training), (-1,))

    def _noise(self, n):
        if self.noise == "uniform":
            return keras.random.uniform(
                (n, self.latent_dim), -1.0, 1.0, seed=self.seed_generator
            )
        return keras.random.normal((n, self.latent_dim), seed=self.seed_generator)

    # -- compile and fit -------------------------------------------------------

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Sets one optimizer per player.

        Args:
            d_optimizer: Optimizer of the discriminator (or critic).
            g_optimizer: Optimizer of the generator.
            **kwargs: `keras.Model.compile` options such as `steps_per_execution`.
        """
        if "optimizer" in kwargs:
            raise ValueError(
                f"{type(self).__name__}.compile takes d_optimizer and g_optimizer, "
                "not optimizer."
            )
        given = {"d_optimizer": d_optimizer, "g_optimizer": g_optimizer}
        missing = [name for name, value in given.items() if value is None]
        if missing:
            raise ValueError(
                f"{type(self).__name__}.compile needs both d_optimizer and "
                f"g_optimizer, got no {' and no '.join(missing)}."
            )
        super().compile(optimizer=None, **kwargs)
        self.d_optimizer = keras.optimizers.get(d_optimizer)
        self.g_optimizer = keras.optimizers.get(g_optimizer)
        if self.d_optimizer is self.g_optimizer:
            raise ValueError(
                "d_optimizer and g_optimizer must be two optimizer objects; one "
                "object would mix the two players' state."
            )

    def _build_optimizers(self):
        with self.distribute_strategy.scope():
            for opt, net in (
                (self.d_optimizer, self.discriminator),
                (self.g_optimizer, self.generator),
            ):
                if not opt.built:
                    opt.build(net.trainable_variables)

    def compile_from_config(self, config):
        super().compile_from_config(config)
        self._build_optimizers()

    def _check_labels(self, labels, where):
        """Conditional models validate labels; the plain GAN ignores them."""

    def fit(self, x=None, y=None, batch_size=None, **kwargs):
        if not self.compiled or self.d_optimizer is None:
            raise ValueError(
                f"Call {type(self).__name__}.compile(d_optimizer=..., "
                "g_optimizer=...) before fit."
            )
        self._validate_fit_data(x, "fit")
        if isinstance(x, tf.data.Dataset):
            for batch in x.take(1):
                has_y = isinstance(batch, tuple) and len(batch) > 1
                self._check_labels(batch[1] if has_y else None, "fit")
        else:
            self._check_labels(y, "fit")
        self._build_optimizers()
        if self.d_steps > 1:
            x = self._group_minibatches(x, y, batch_size or 32)
            y = batch_size = None
        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)
        # Validated above; keras.Model.fit would see the regrouped shape.
        return keras.Model.fit(self, x, y, batch_size=batch_size, **kwargs)

    def _group_minibatches(self, x, y, batch_size):
        # One step gets [m, k, ...]: k minibatches of m, batch axis first so that a
        # strategy splits m across replicas.
        if not isinstance(x, tf.data.Dataset):
            x = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
            x = x.shuffle(len(x), reshuffle_each_iteration=True).batch(batch_size)
        first = next(iter(x))
        m = int((first[0] if isinstance(first, tuple) else first).shape[0])
        grouped = (
            x.unbatch()
            .batch(self.d_steps, drop_remainder=True)
            .batch(m, drop_remainder=True)
        )
        if x.cardinality() != tf.data.INFINITE_CARDINALITY:
            # Keras runs one extra, empty step on data of unknown length (the
            # optimizers would count it), so state the length.
            n = sum(int((b[0] if isinstance(b, tuple) else b).shape[0]) for b in x)
            steps = n // (self.d_steps * m)
            grouped = grouped.apply(tf.data.experimental.assert_cardinality(steps))
        return grouped.prefetch(tf.data.AUTOTUNE)

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

    def _update(self, optimizer, network, loss_fn):
        with tf.GradientTape() as tape:
            terms = loss_fn()
            key = "d_loss" if network is self.discriminator else "g_loss"
            loss = optimizer.scale_loss(distribute.average_loss(terms[key]))
        weights = network.trainable_weights
        grads = tape.gradient(loss, weights)
        optimizer.apply_gradients(zip(grads, weights, strict=True))
        return terms

    def train_step(self, data):
        x, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if self.d_steps > 1:
            reals = [x[:, i] for i in range(self.d_steps)]
            label_sets = [
                None if labels is None else labels[:, i] for i in range(self.d_steps)
            ]
        else:
            reals, label_sets = [x], [labels]
        # Phase 1: k discriminator updates, each on fresh real and noise minibatches.
        for real, y in zip(reals, label_sets, strict=True):
            fake = self._generate(self._noise(ops.shape(real)[0]), y, training=True)
            d_terms = self._update(
                self.d_optimizer,
                self.discriminator,
                lambda real=real, fake=fake, y=y: self._d_loss(real, fake, y),
            )
        # Phase 2: one generator update on a fresh noise minibatch.
        m, y = ops.shape(reals[-1])[0], label_sets[-1]

        def g_terms():
            fake = self._generate(self._noise(m), y, training=True)
            return {"g_loss": self._g_loss(self._discriminate(fake, y, training=True))}

        terms = d_terms | self._update(self.g_optimizer, self.generator, g_terms)
        self._update_generator_ema()
        return self._update_metric_trackers(terms)

    def test_step(self, data):
        x, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        fake = self._generate(self._noise(ops.shape(x)[0]), labels)
        real_logits = self._discriminate(x, labels)
        fake_logits = self._discriminate(fake, labels)
        terms = {
            "d_loss": losses.minimax_discriminator_loss(real_logits, fake_logits),
            "g_loss": self._g_loss(fake_logits),
            "d_real": ops.sigmoid(real_logits),
            "d_fake": ops.sigmoid(fake_logits),
        }
        return self._update_metric_trackers(terms)

    # -- verbs -----------------------------------------------------------------

    def call(self, inputs, training=False):
        """The discriminator's logits `[B]` for a batch of examples."""
        self._check_shape(inputs.shape, "call")
        return self._discriminate(inputs, training=training)

    def generate(self, z, labels=None):
        """G(z) for given noise `z` `[n, latent_dim]` (deterministic, no dropout)."""
        z = tf.convert_to_tensor(z, "float32")
        if z.shape.rank != 2 or z.shape[-1] != self.latent_dim:
            raise ValueError(
                f"z must have shape (n, {self.latent_dim}), got {tuple(z.shape)}."
            )
        return self._generate(z, labels, training=False)

    def sample(self, n, labels=None):
        """Generator samples G(z), z drawn from the noise prior."""
        n = self._check_count(n)
        return self._generate(self._noise(n), labels, training=False)

    def noise_batch(self, n, seed=0):
        """`n` noise vectors from the prior, drawn by numpy with a fixed seed."""
        rng = np.random.default_rng(seed)
        if self.noise == "uniform":
            return rng.uniform(-1, 1, (n, self.latent_dim)).astype("float32")
        return rng.standard_normal((n, self.latent_dim)).astype("float32")

    def evaluate_metrics(self, dataset, validation=None, metrics=("parzen",), n=10000):
        """Sample-quality metrics of `n` samples (fixed noise) against `dataset`.

        Args:
            dataset: Batches of test examples (or `(x, y)` pairs).
            validation: Batches the Parzen sigma is chosen on (first 1,000 used).
            metrics: Any of `"parzen"` (Gaussian Parzen window log-likelihood, as
                in the GAN paper) and `"fid"`, `"inception_score"`,
                `"class_fractions"` (on the `mnist_classifier` preset's outputs).
            n: Samples drawn.

        Returns:
            A dict of floats, plus `examples` (test examples used).
        """
        from .. import metrics as m

        test = np.concatenate(
            [b[0].numpy() if isinstance(b, tuple) else b.numpy() for b in dataset]
        )
        samples = self._evaluation_samples(n)
        out = {"examples": len(test)}
        if "parzen" in metrics:
            if validation is None:
                raise ValueError("Parzen evaluation needs a validation split.")
            val = np.concatenate(
                [
                    b[0].numpy() if isinstance(b, tuple) else b.numpy()
                    for b in validation.take(2)
                ]
            )[:1000]
            sigma, _ = m.select_parzen_sigma(samples, val)
            ll = m.parzen_log_likelihood(samples, test, sigma)
            out |= {
                "parzen_log_likelihood": float(ll.mean()),
                "parzen_std_error": float(ll.std() / np.sqrt(len(ll))),
                "parzen_sigma": float(sigma),
            }
        if "fid" in metrics:
            out["fid"] = float(m.frechet_distance(samples))
        if "inception_score" in metrics:
            out["inception_score"] = float(m.inception_score(samples)[0])
        if "class_fractions" in metrics:
            fractions = m.class_fractions(samples)
            out |= {
                "min_class_fraction": float(np.min(fractions)),
                "max_class_fraction": float(np.max(fractions)),
            }
        return out

    def _evaluation_samples(self, n, batch=1000):
        z = self.noise_batch(n, seed=0)
        return np.concatenate(
            [self.generate(z[i : i + batch]).numpy() for i in range(0, n, batch)]
        )

    # -- config ----------------------------------------------------------------

    def get_config(self):
        return super().get_config() | {
            "latent_dim": self.latent_dim,
            "generator_units": list(self.generator_units),
            "discriminator_units": list(self.discriminator_units),
            "maxout_pieces": self.maxout_pieces,
            "generator_batch_norm": self.generator_batch_norm,
            "d_steps": self.d_steps,
            "generator_loss": self.generator_loss,
            "label_smoothing": self.label_smoothing,
            "noise": self.noise,
            "input_range": None if self.input_range is None else list(self.input_range),
            "ema_decay": self.ema_decay,
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
        }
