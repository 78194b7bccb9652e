"""`WGANGP`: the Wasserstein GAN with a gradient penalty on the critic."""

import keras

from .. import losses
from .dcgan import DCGAN


@keras.saving.register_keras_serializable(package="keras_gen")
class WGANGP(DCGAN):
    """Wasserstein GAN with gradient penalty (WGAN-GP).

    The critic f (no sigmoid, no batch norm: the penalty is per example) maximizes
    E f(x) - E f(G(z)) - lambda E (||grad f(x_hat)|| - 1)^2 at points x_hat between
    real and generated examples; it takes `n_critic` updates, each on fresh
    minibatches, per generator update (the same regrouping as `GAN`'s `d_steps`).
    Metrics: `d_loss` (the critic's loss with the penalty), `g_loss` (-E f(G(z))),
    `wasserstein` (E f(x) - E f(G(z)), the critic's estimate of the distance) and
    `gradient_penalty`.

    Args:
        input_shape: `(H, W, C)`.
        latent_dim: Size of z.
        n_critic: Critic updates per generator update (the paper: 5).
        gp_weight: lambda (the paper: 10).
        **kwargs: `DCGAN` arguments (filters, kernel size, networks, noise, seed).

    Example:
        >>> wgan = keras_gen.WGANGP(n_critic=5)
        >>> adam = lambda: keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9)
        >>> wgan.compile(d_optimizer=adam(), g_optimizer=adam())

    Reference:
        Gulrajani et al., "Improved training of Wasserstein GANs", NeurIPS 2017.
    """

    metric_names = ("d_loss", "g_loss", "wasserstein", "gradient_penalty")

    def __init__(
        self,
        input_shape=(28, 28, 1),
        latent_dim=100,
        n_critic=5,
        gp_weight=10.0,
        **kwargs,
    ):
        for key in ("d_steps", "generator_loss", "label_smoothing"):
            if key in kwargs:
                raise TypeError(
                    f"WGANGP takes n_critic and the Wasserstein losses, not {key}."
                )
        if not gp_weight >= 0:
            raise ValueError(f"gp_weight must be >= 0, got {gp_weight!r}.")
        self.gp_weight = float(gp_weight)
        super().__init__(input_shape, latent_dim, d_steps=n_critic, **kwargs)

    @property
    def n_critic(self):
        return self.d_steps

    discriminator_options = {"batch_norm": False, "name": "critic"}

    def _d_loss(self, real, fake, labels):
        real_scores = self._discriminate(real, labels, training=True)
        fake_scores = self._discriminate(fake, labels, training=True)
        penalty = losses.gradient_penalty(
            lambda x: self._discriminate(x, labels, training=True),
            real,
            fake,
            seed=self.seed_generator,
        )
        critic = losses.wasserstein_discriminator_loss(real_scores, fake_scores)
        return {
            "d_loss": critic + self.gp_weight * penalty,
            "wasserstein": real_scores - fake_scores,
            "gradient_penalty": penalty,
        }

    def _g_loss(self, fake_scores):
        return losses.wasserstein_generator_loss(fake_scores)

    def _evaluation_terms(self, real_scores, fake_scores):
        return {
            "d_loss": losses.wasserstein_discriminator_loss(real_scores, fake_scores),
            "g_loss": self._g_loss(fake_scores),
            "wasserstein": real_scores - fake_scores,
        }

    def _game_config(self):
        config = super()._game_config()
        for key in ("d_steps", "generator_loss", "label_smoothing"):
            config.pop(key)
        return config | {"n_critic": self.n_critic, "gp_weight": self.gp_weight}
