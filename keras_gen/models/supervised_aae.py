"""`SupervisedAAE`: the adversarial autoencoder whose decoder sees the label
(Makhzani et al. 2015, section 4)."""

import keras
import numpy as np

from .aae import AAE
from .base import Conditional


@keras.saving.register_keras_serializable(package="keras_gen")
class SupervisedAAE(Conditional, AAE):
    """Adversarial autoencoder whose decoder also sees the label (section 4), so
    that the code holds the style and the label the digit.

    Trained on `(x, y)` batches; `call((x, labels))`, `decode(z, labels)`,
    `reconstruct(x, labels)`, `sample(n, labels)` and `style_grid(styles)`
    (one style per row, decoded with every class).

    Args:
        num_classes: Labels are integers in `[0, num_classes)`.
        **kwargs: The `AAE` arguments; a custom decoder takes `[z, labels]` with
            labels shaped `[B, 1]`.

    Reference:
        Makhzani et al. 2015, section 4 and figure 7.
    """

    card_figures = ("style_grid",)

    def __init__(self, input_shape=(28, 28, 1), latent_dim=8, num_classes=10, **kw):
        if kw.get("label_prior"):
            raise ValueError(
                "SupervisedAAE gives the label to the decoder, not "
                "the prior: label_prior must be False."
            )
        self._classes = num_classes
        super().__init__(input_shape, latent_dim, **kw)

    def _setup_classes(self):
        self._set_classes(self._classes)

    def _decoder_classes(self):
        return self.num_classes

    def _decoder_inputs(self, z, labels):
        return [z, self.as_column(labels)]

    def _step_labels(self, y):
        return y

    def _decode_labels(self, labels, z):
        return self._check_class_labels(labels, "decode", len(z))

    def call(self, inputs, training=False):
        """Reconstructions of `(x, labels)`."""
        x, labels = self.split_call_inputs(inputs, "call")
        self._check_shape(x.shape, "call")
        z = self._codes(x, training, sample=False)
        return self._output(self._decode_params(z, labels, training))

    def reconstruct(self, x, labels=None):
        x = self.validate_inputs(x, "reconstruct")
        return self.call((x, self._check_class_labels(labels, "reconstruct", len(x))))

    def sample(self, n, labels=None):
        """Decoded prior styles for the given labels (one class or `n`)."""
        n = self._check_count(n)
        labels = self._check_class_labels(labels, "sample", n)
        return self.decode(self._prior_samples(n), labels)

    def style_grid(self, styles=10, seed=0):
        """`[styles, num_classes, *input_shape]`: each row one prior style z,
        decoded with every class in turn."""
        styles = self._check_count(styles, "styles")
        z = np.repeat(self.noise_batch(styles, seed), self.num_classes, axis=0)
        labels = np.tile(np.arange(self.num_classes), styles)
        images = np.asarray(self.decode(z, labels))
        return images.reshape(styles, self.num_classes, *self.data_shape)

    def get_config(self):
        config = super().get_config() | {"num_classes": self.num_classes}
        config.pop("label_prior")
        return config
