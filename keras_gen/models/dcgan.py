"""`DCGAN`: the k-step GAN game with convolutional players."""

import keras

from . import networks, shapes
from .gan import GAN


@keras.saving.register_keras_serializable(package="keras_gen")
class DCGAN(GAN):
    """Deep convolutional GAN: transposed-conv generator with batch norm, strided-conv
    discriminator with LeakyReLU (batch norm after every conv but the first).

    Trained by the same k-step game as `GAN`; the DCGAN paper's optimizer is
    `keras.optimizers.Adam(2e-4, beta_1=0.5)` for both players.

    Args:
        input_shape: `(H, W, C)`: for the default networks H and W divisible by
            `2 ** len(generator_filters)` and `2 ** len(discriminator_filters)`
            (4 for the default two layers each; else a `ValueError` saying how
            to resize).
        latent_dim: Size of z.
        generator_filters: Filters of the generator's transposed convolutions.
        discriminator_filters: Filters of the discriminator's convolutions.
        kernel_size: Kernel size of every (transposed) convolution.
        **kwargs: The `GAN` arguments `generator`, `discriminator`, `d_steps`,
            `generator_loss`, `label_smoothing`, `noise` (default `"normal"`),
            `seed`, `name`.

    Reference:
        Radford, Metz, Chintala, "Unsupervised representation learning with deep
        convolutional generative adversarial networks", ICLR 2016.
    """

    network_arguments = {
        "generator": ("generator_filters", "kernel_size"),
        "discriminator": ("discriminator_filters", "kernel_size"),
    }

    def __init__(
        self,
        input_shape=(28, 28, 1),
        latent_dim=100,
        generator=None,
        discriminator=None,
        generator_filters=(64, 32),
        discriminator_filters=(32, 64),
        kernel_size=4,
        noise="normal",
        **game,
    ):
        self.generator_filters = tuple(int(f) for f in generator_filters)
        self.discriminator_filters = tuple(int(f) for f in discriminator_filters)
        self.kernel_size = int(kernel_size)
        self._init_game(
            input_shape, latent_dim, generator, discriminator, noise=noise, **game
        )

    def _check_fits(self, network, filters):
        # Named by model and argument, before the builder's own, plainer check.
        argument = f"{network}_filters"
        shapes.check_conv_shape(
            self.data_shape,
            len(filters),
            f"{type(self).__name__}'s default {network} ({argument}={filters})",
        )

    def _default_generator(self):
        self._check_fits("generator", self.generator_filters)
        return networks.conv_generator(
            self.latent_dim,
            self.data_shape,
            self.generator_filters,
            kernel_size=self.kernel_size,
        )

    # The default discriminator's options (a WGAN critic has no batch norm).
    discriminator_options = {"batch_norm": True}

    def _default_discriminator(self):
        self._check_fits("discriminator", self.discriminator_filters)
        return networks.conv_discriminator(
            self.data_shape,
            self.discriminator_filters,
            kernel_size=self.kernel_size,
            minibatch=self.minibatch_discrimination,
            **self.discriminator_options,
        )

    def _architecture_config(self):
        return {
            "generator_filters": list(self.generator_filters),
            "discriminator_filters": list(self.discriminator_filters),
            "kernel_size": self.kernel_size,
        }
