"""Priors p(z) of adversarial autoencoders: anything that can be sampled.

An adversarial autoencoder never evaluates its prior's density; its discriminator
only sees samples. So a prior is any `tfp.distributions.Distribution` with event
shape `[latent_dim]`, any callable `sampler(n, seed)` returning `[n, latent_dim]`
(traced inside the training step: use TensorFlow or `keras.random` ops), or one of
the named priors below. A prior with components (the named `"mixture"` and
`"swiss_roll"`, or a `tfd.MixtureSameFamily`) can also draw each sample from a
chosen component: the label-aware regularization of Makhzani et al. (2015,
figure 4), where the class of a labelled example picks its component.

Named priors (their parameters are ours; the paper gives only pictures):

- `"normal"`: N(0, I).
- `"uniform"`: uniform on [-1, 1]^latent_dim.
- `"categorical"`: one-hot vectors of a uniform categorical over latent_dim classes.
- `"mixture"`: 2-D, `components` Gaussians on a circle of radius 2; the k-th at
  angle 2 pi k / components, std 0.5 along the radius and 0.1 across it.
- `"swiss_roll"`: 2-D, a spiral r = 0.3 + 2.7 t at angle 3 pi t, t ~ U(0, 1), with
  N(0, 0.05^2) noise; component k is the segment t in [k, k + 1) / components.
"""

import inspect
import math

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

NAMES = ("normal", "uniform", "categorical", "mixture", "swiss_roll")
TWO_DIMENSIONAL = ("mixture", "swiss_roll")


def _mixture_on_circle(components, radius=2.0, radial_std=0.5, tangential_std=0.1):
    angles = 2 * math.pi * np.arange(components) / components
    rotation = np.stack(
        [
            np.stack([np.cos(angles), -np.sin(angles)], -1),
            np.stack([np.sin(angles), np.cos(angles)], -1),
        ],
        1,
    )  # [K, 2, 2], column 0 along the radius
    locs = radius * rotation[:, :, 0]
    covariance = (
        rotation
        @ np.diag([radial_std**2, tangential_std**2])
        @ (np.transpose(rotation, (0, 2, 1)))
    )
    return tfd.MixtureSameFamily(
        tfd.Categorical(logits=tf.zeros(components)),
        tfd.MultivariateNormalTriL(
            tf.constant(locs, "float32"),
            tf.constant(np.linalg.cholesky(covariance), "float32"),
        ),
    )


class Prior:
    """A sampleable p(z) of shape `[latent_dim]`, optionally with components.

    Args:
        spec: A name in `NAMES`, a `tfd.Distribution` with event shape
            `[latent_dim]` and no batch shape, or a callable `sampler(n, seed)`.
        latent_dim: Size of z.
        components: Components of the named `"mixture"` and `"swiss_roll"`.

    Raises:
        ValueError: An unknown name, a 2-D prior for another `latent_dim`, or
            samples whose shape is not `(n, latent_dim)` (tried with n = 4).
        TypeError: A spec that is none of the above.
    """

    def __init__(self, spec, latent_dim, components=10):
        self.spec = spec
        self.latent_dim = int(latent_dim)
        self.num_components = None
        self._distribution = None
        self._sampler = None
        if isinstance(spec, str):
            self._named(spec, int(components))
        elif isinstance(spec, tfd.Distribution):
            self._distribution = spec
            if isinstance(spec, tfd.MixtureSameFamily):
                self.num_components = int(
                    spec.mixture_distribution.logits_parameter().shape[-1]
                )
        elif callable(spec):
            self._sampler = spec
        else:
            raise TypeError(
                "prior must be one of "
                f"{NAMES}, a tfp.distributions.Distribution or a callable "
                f"sampler(n, seed), got {type(spec).__name__}."
            )
        self._check_shape()

    def _named(self, name, components):
        if name not in NAMES:
            raise ValueError(f"prior must be one of {NAMES}, got {name!r}.")
        if name in TWO_DIMENSIONAL and self.latent_dim != 2:
            raise ValueError(
                f"The {name!r} prior is 2-D; it needs latent_dim=2, got "
                f"latent_dim={self.latent_dim} (pass a tfd.MixtureSameFamily for "
                "a mixture in more dimensions)."
            )
        if name in TWO_DIMENSIONAL:
            if components < 2:
                raise ValueError(
                    f"prior_components must be at least 2, got {components}."
                )
            self.num_components = components
        d = self.latent_dim
        if name == "normal":
            self._distribution = tfd.MultivariateNormalDiag(tf.zeros(d))
        elif name == "uniform":
            self._distribution = tfd.Independent(
                tfd.Uniform(-tf.ones(d), tf.ones(d)), 1
            )
        elif name == "categorical":
            self._distribution = tfd.OneHotCategorical(
                logits=tf.zeros(d), dtype=tf.float32
            )
        elif name == "mixture":
            self._distribution = _mixture_on_circle(components)
        else:
            self._sampler = self._swiss_roll

    @property
    def distribution(self):
        """The `tfd.Distribution`, or None for a sampler."""
        return self._distribution

    def _check_shape(self):
        if self._distribution is not None:
            event = tuple(self._distribution.event_shape)
            batch = tuple(self._distribution.batch_shape)
            if event != (self.latent_dim,) or batch != ():
                raise ValueError(
                    f"The prior must have event shape ({self.latent_dim},) and no "
                    f"batch shape, got event shape {event}, batch shape {batch}."
                )
            return
        got = self.sample(4, tf.constant([0, 0], "int32"))
        if tuple(got.shape) != (4, self.latent_dim):
            raise ValueError(
                f"The prior's samples must have shape (n, {self.latent_dim}); for "
                f"n=4 it gave shape {tuple(got.shape)}."
            )

    def sample(self, n, seed, components=None):
        """`[n, latent_dim]` float32 samples.

        Args:
            n: How many (a Python int or scalar tensor).
            seed: A stateless seed, int32 `[2]`.
            components: Optional int `[n]`: draw sample i from component
                `components[i]` (a negative value: from the whole prior).
        """
        if components is not None and self.num_components is None:
            raise ValueError(
                "A label-aware prior needs components (the 'mixture' or "
                "'swiss_roll' prior, or a tfd.MixtureSameFamily)."
            )
        if self._sampler is not None:
            if self._sampler == self._swiss_roll:
                return self._swiss_roll(n, seed, components)
            return tf.cast(self._call_sampler(n, seed), "float32")
        if components is None:
            return tf.cast(self._distribution.sample(n, seed=seed), "float32")
        pick_seed, draw_seed = tfp.random.split_seed(seed, 2)
        free = self._distribution.mixture_distribution.sample(n, seed=pick_seed)
        components = tf.cast(components, "int32")
        chosen = tf.where(components < 0, tf.cast(free, "int32"), components)
        every = self._distribution.components_distribution.sample(n, seed=draw_seed)
        return tf.cast(tf.gather(every, chosen, axis=1, batch_dims=1), "float32")

    def _call_sampler(self, n, seed):
        params = inspect.signature(self._sampler).parameters
        return self._sampler(n, seed) if len(params) > 1 else self._sampler(n)

    def _swiss_roll(self, n, seed, components=None):
        t_seed, c_seed, noise_seed = tfp.random.split_seed(seed, 3)
        k = self.num_components
        u = tf.random.stateless_uniform([n], t_seed)
        if components is None:
            components = -tf.ones([n], "int32")
        free = tf.random.stateless_uniform([n], c_seed, 0, k, "int32")
        components = tf.cast(components, "int32")
        chosen = tf.cast(tf.where(components < 0, free, components), "float32")
        t = (chosen + u) / k
        radius, angle = 0.3 + 2.7 * t, 3 * math.pi * t
        z = tf.stack([radius * tf.cos(angle), radius * tf.sin(angle)], -1)
        return z + 0.05 * tf.random.stateless_normal([n, 2], noise_seed)

    def serializable(self):
        """Whether a model config can record this prior (named priors only)."""
        return isinstance(self.spec, str)
