"""Verbs of latent-variable models: interpolation, the 2-D manifold, and the
importance-sampled log-likelihood (Burda et al. 2016).

`LatentVariableVerbs` is a mixin of models that have `posterior(x, labels)`,
`likelihood_of(z, labels)`, `encode`, `decode`, a `prior` and a `latent_dim` (the VAE
family).
"""

import math

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions


class LatentVariableVerbs:
    """`interpolate`, `manifold`, and `log_likelihood(x, num_samples=k)`, chunked so
    k = 5,000 runs in bounded memory."""

    def interpolate(self, x_a, x_b, steps=10):
        """Decodes `steps` points on the line between the posterior means of `x_a`
        and `x_b` (batches of equal size, or single examples).

        Returns:
            `[B, steps, *input_shape]` (`[steps, *input_shape]` for single examples).
        """
        steps = self._check_count(steps, "steps")
        single = np.ndim(x_a) == len(self.data_shape)
        x_a, x_b = (np.asarray(v)[None] if single else v for v in (x_a, x_b))
        za = self.encode(x_a).mean()
        zb = self.encode(x_b).mean()
        if za.shape != zb.shape:
            raise ValueError(
                f"interpolate expected x_a and x_b of equal batch size, got "
                f"{za.shape[0]} and {zb.shape[0]}."
            )
        t = tf.reshape(tf.linspace(0.0, 1.0, steps), (1, steps, 1))
        z = za[:, None] * (1 - t) + zb[:, None] * t
        images = self.decode(tf.reshape(z, (-1, self.latent_dim))).mean()
        images = tf.reshape(images, (-1, steps, *self.data_shape))
        return images[0] if single else images

    def manifold(self, n=20):
        """Decoded means over an `n` x `n` grid of the prior's quantiles (2-D latent,
        standard normal prior), as in Kingma & Welling's figure 4.

        Returns:
            `[n * n, *input_shape]`, rows of increasing z2, columns of increasing z1.
        """
        n = self._check_count(n)
        if self.latent_dim != 2 or self._prior_spec != "normal":
            raise ValueError(
                "manifold needs latent_dim=2 and the standard normal prior, got "
                f"latent_dim={self.latent_dim}, prior={self._prior_spec!r}."
            )
        quantiles = tfd.Normal(0.0, 1.0).quantile(
            np.linspace(0.5 / n, 1 - 0.5 / n, n).astype("float32")
        )
        z1, z2 = np.meshgrid(quantiles.numpy(), quantiles.numpy()[::-1])
        return self.decode(np.stack([z1.ravel(), z2.ravel()], -1)).mean()

    def _log_weights(self, x, labels, q, count):
        # log p(x, z_i) - log q(z_i|x) for `count` draws z_i: shape [count, B].
        z = q.sample(count, seed=self._draw_seed())
        flat = tf.reshape(z, (-1, self.latent_dim))
        tiled = tf.reshape(
            tf.broadcast_to(x[None], (count, *x.shape)), (-1, *self.data_shape)
        )
        tiled_labels = None
        if labels is not None:
            tiled_labels = tf.reshape(
                tf.broadcast_to(labels[None], (count, *labels.shape)), (-1,)
            )
        log_px = tf.reshape(
            self.likelihood_of(flat, tiled_labels).log_prob(tiled), (count, -1)
        )
        return log_px + self.prior.log_prob(z) - q.log_prob(z)

    def log_likelihood(self, x, num_samples=5000, max_rows=25_000, labels=None):
        """Importance-sampled log p(x) per example (Burda et al. 2016):
        log (1/k) sum_i p(x, z_i) / q(z_i|x), z_i ~ q(z|x), k = `num_samples`.

        A lower bound in expectation that tightens as k grows; k = 1 is the ELBO.
        The k draws go through the decoder in chunks of at most `max_rows` rows, so
        memory stays bounded for any k.

        Returns:
            Numpy float64 `[B]`, nats.
        """
        k = self._check_count(num_samples, "num_samples")
        x = self.validate_inputs(x, "log_likelihood")
        if self.takes_labels:
            labels = self._check_class_labels(labels, "log_likelihood", len(x))
        else:
            self._refuse_labels(labels, "log_likelihood")
        batch = max(1, min(len(x), max_rows))
        chunk = max(1, max_rows // batch)
        if not hasattr(self, "_log_weights_fn"):
            self._log_weights_fn = tf.function(self._chunk_logsumexp)
        out = []
        for i in range(0, len(x), batch):
            xb = x[i : i + batch]
            lb = None if labels is None else tf.constant(labels[i : i + batch])
            total = tf.fill([len(xb)], -np.inf)
            for start in range(0, k, chunk):
                count = min(chunk, k - start)
                total = tf.reduce_logsumexp(
                    tf.stack([total, self._log_weights_fn(xb, lb, count)]), 0
                )
            out.append(total.numpy().astype(np.float64) - math.log(k))
        return np.concatenate(out)

    def _chunk_logsumexp(self, x, labels, count):
        q = self.posterior(x, labels)
        return tf.reduce_logsumexp(self._log_weights(x, labels, q, count), 0)
