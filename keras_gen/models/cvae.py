"""`CVAE`: a VAE whose encoder and decoder both see the class label."""

import keras

from .base import Conditional
from .vae import VAE


@keras.saving.register_keras_serializable(package="keras_gen")
class CVAE(Conditional, VAE):
    """Conditional VAE: q(z|x, y) and p(x|z, y) with p(z) free of y.

    Trained on `(x, y)` batches of integer labels; the ELBO is that of log p(x|y).
    Every verb that encodes or decodes takes the labels: `call((x, labels))`,
    `encode(x, labels)`, `decode(z, labels)`, `reconstruct(x, labels)`,
    `sample(n, labels)` (one class for all, or `n` classes) and
    `log_likelihood(x, labels=...)`.

    Args:
        input_shape: Shape of one example.
        latent_dim: Size of z.
        num_classes: Labels are integers in `[0, num_classes)`.
        **kwargs: The `VAE` arguments. Custom networks take `[x, labels]` and
            `[z, labels]` with labels shaped `[B, 1]`.

    Example:
        >>> cvae = keras_gen.CVAE(latent_dim=20, num_classes=10)
        >>> sevens = cvae.sample(16, labels=7)

    Reference:
        Sohn, Lee & Yan, "Learning structured output representation using deep
        conditional generative models", NeurIPS 2015; Kingma et al. 2014 (the
        label-conditioned generative model M2 without its classifier).
    """

    def __init__(self, input_shape=(28, 28, 1), latent_dim=20, num_classes=10, **kw):
        self._set_classes(num_classes)
        super().__init__(input_shape, latent_dim, **kw)

    def call(self, inputs, training=False):
        """Mean of p(x|z, y) at the posterior mean, for `(x, labels)`."""
        x, labels = self.split_call_inputs(inputs, "call")
        return self.likelihood_of(self.posterior(x, labels).mean(), labels).mean()

    def encode(self, x, labels=None):
        """q(z|x, y) for a batch and its labels."""
        x = self.validate_inputs(x, "encode")
        return self.posterior(x, self._check_class_labels(labels, "encode", len(x)))

    def decode(self, z, labels=None):
        """p(x|z, y) for codes `[B, latent_dim]` and one class or `B` classes."""
        z = self._check_codes(z, "decode")
        return self.likelihood_of(z, self._check_class_labels(labels, "decode", len(z)))

    def reconstruct(self, x, labels=None):
        """Mean of p(x|z, y) at the posterior mean of each `(x, y)`."""
        x = self.validate_inputs(x, "reconstruct")
        labels = self._check_class_labels(labels, "reconstruct", len(x))
        return self.call((x, labels))

    def sample(self, n, labels=None):
        """Means of p(x|z, y) at prior codes z for the given labels."""
        n = self._check_count(n)
        labels = self._check_class_labels(labels, "sample", n)
        return self.decode(self.prior.sample(n, seed=self._draw_seed()), labels).mean()

    def interpolate(self, x_a, x_b, steps=10):
        raise NotImplementedError(
            "CVAE.interpolate is not defined: encode both with their labels and "
            "decode the line between the codes with the label you want."
        )

    def get_config(self):
        return super().get_config() | {"num_classes": self.num_classes}
