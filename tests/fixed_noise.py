"""Noise that does not depend on how a global batch is split across replicas.

To compare one training step on 2 replicas with the same step on one device, both
must draw the same noise for the same example. `fixed_noise(monkeypatch, batch)`
replaces TensorFlow's stateless random ops (which Keras' and TFP's samplers call) by
draws from one constant seed: a draw with an axis of the per-replica batch's length
is drawn at the global batch size and the replica keeps its own rows (replica r holds
rows r*b..(r+1)*b of the global batch, the order in which `tf.distribute` splits a
batch); any other draw is the same on every replica. On one device the same rule
draws the global batch directly, so both runs see identical noise.
"""

import tensorflow as tf

SEED = (1234, 5678)


def _replicas():
    context = tf.distribute.get_replica_context()
    if context is None:
        return 1, 0
    return context.num_replicas_in_sync, context.replica_id_in_sync_group


def fixed_noise(monkeypatch, global_batch):
    """Patches the stateless ops for the rest of the test (see the module doc)."""
    originals = {
        name: getattr(tf.random, name)
        for name in (
            "stateless_normal",
            "stateless_uniform",
            "stateless_truncated_normal",
        )
    }

    def sliced(original):
        def draw(shape, seed=None, *args, **kwargs):
            del seed  # every draw comes from SEED
            shape = tf.cast(tf.reshape(shape, [-1]), "int32")
            replicas, replica = _replicas()
            local = global_batch // replicas
            # The batch axis is the first whose length is a multiple of `local`: TFP
            # draws a Normal's noise event axes first, a flat n * d for a Sample or
            # an MVN, and M2 n * classes rows, example-major. A draw without such an
            # axis is the same on every replica.
            fits = tf.logical_and(tf.equal(shape % local, 0), shape > 0)
            fits = tf.cast(fits, "int32")
            at_batch = fits * tf.cast(tf.equal(tf.cumsum(fits), 1), "int32")
            whole = original(
                shape * (1 + (replicas - 1) * at_batch), SEED, *args, **kwargs
            )
            begin = at_batch * tf.cast(replica, "int32") * shape
            return tf.slice(whole, begin, shape)

        return draw

    patched = {name: sliced(fn) for name, fn in originals.items()}
    uniform = patched["stateless_uniform"]

    def categorical(logits, num_samples, seed=None, dtype="int64", name=None):
        # Gumbel-max on the patched uniform; the batch axis is the logits' rows or,
        # for one row of logits (a TFP sample of n), the n samples.
        del seed, name
        logits = tf.convert_to_tensor(logits)
        rows, classes = tf.shape(logits)[0], tf.shape(logits)[1]
        by_row = uniform([rows, num_samples, classes], minval=1e-7, maxval=1.0)
        by_sample = tf.transpose(
            uniform([num_samples, rows, classes], minval=1e-7, maxval=1.0), [1, 0, 2]
        )
        u = tf.where(tf.equal(rows, 1), by_sample, by_row)
        gumbel = -tf.math.log(-tf.math.log(u))
        scores = logits[:, None, :] + tf.cast(gumbel, logits.dtype)
        return tf.argmax(scores, axis=-1, output_type=tf.dtypes.as_dtype(dtype))

    def dropout(x, rate, seed=None, rng_alg=None, noise_shape=None, name=None):
        del seed, rng_alg, name
        shape = tf.shape(x) if noise_shape is None else noise_shape
        keep = uniform(shape, dtype=x.dtype) >= rate
        return tf.where(keep, x / (1 - rate), tf.zeros_like(x))

    # TFP reaches the ops through tf.compat.v2, a module of its own.
    for random in {tf.random, tf.compat.v2.random}:
        for name, fn in patched.items():
            monkeypatch.setattr(random, name, fn)
        monkeypatch.setattr(random, "stateless_categorical", categorical)
    monkeypatch.setattr(tf.nn.experimental, "stateless_dropout", dropout)
