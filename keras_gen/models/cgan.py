"""`ConditionalGAN`: a GAN whose generator and discriminator both see the label."""

import keras

from .base import Conditional, as_float32
from .gan import GAN


@keras.saving.register_keras_serializable(package="keras_gen")
class ConditionalGAN(Conditional, GAN):
    """GAN conditioned on a class label y: G(z, y) and D(x, y).

    Trained on `(x, y)` batches with the same k-step game as `GAN`; the generated
    minibatch of each step uses the real minibatch's labels, so classes are drawn
    as often as in the data. `call((x, labels))` returns D's logits and
    `sample(n, labels=...)` draws G(z, labels).

    Args:
        input_shape: Shape of one example.
        latent_dim: Size of z.
        num_classes: Number of classes; labels are integers in `[0, num_classes)`.
        **kwargs: The `GAN` arguments (networks, widths, `d_steps`, losses, noise,
            seed, name). Custom networks take `[z, labels]` and `[x, labels]`, with
            labels shaped `[B, 1]`.

    Example:
        >>> cgan = keras_gen.ConditionalGAN(num_classes=10)
        >>> sevens = cgan.sample(16, labels=7)

    Reference:
        Mirza and Osindero, "Conditional generative adversarial nets", 2014.
    """

    conditional_sampling = True

    def __init__(self, input_shape=(28, 28, 1), latent_dim=100, num_classes=10, **kw):
        self._set_classes(num_classes)
        super().__init__(input_shape, latent_dim, **kw)

    def _check_networks(self):
        for net, what in (
            (self.generator, "[z, labels]"),
            (self.discriminator, "[x, labels]"),
        ):
            if len(net.inputs) != 2:
                raise ValueError(
                    f"A conditional {net.name} must take two inputs {what}, got "
                    f"{len(net.inputs)}."
                )
        super()._check_networks()

    def _generate(self, z, labels=None, training=False):
        generator = self._generator_for(training)
        return generator([z, self.as_column(labels)], training=training)

    def _discriminator_outputs(self, x, labels, training):
        return self._scorer([x, self.as_column(labels)], training=training)

    # -- labels at the edge ----------------------------------------------------

    def _check_labels(self, labels, where, n=None):
        return self._check_class_labels(labels, where, n)

    # -- verbs -----------------------------------------------------------------

    def call(self, inputs, training=False):
        """D's logits `[B]` for `(x, labels)`."""
        x, labels = self.split_call_inputs(inputs, "call")
        self._check_shape(x.shape, "call")
        return self._discriminate(x, labels, training=training)

    def generate(self, z, labels=None):
        """G(z, labels) for given noise `z` `[n, latent_dim]` and `n` labels."""
        labels = self._check_labels(labels, "generate", n=len(z))
        return super().generate(z, labels)

    def sample(self, n, labels=None):
        """Generator samples G(z, labels); `labels` is one class or `n` classes."""
        n = self._check_count(n)
        labels = self._check_labels(labels, "sample", n=n)
        return as_float32(self._generate(self._noise(n), labels, training=False))

    def get_config(self):
        return super().get_config() | {"num_classes": self.num_classes}
