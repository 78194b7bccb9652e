"""Penalties and trackers on 2 replicas: layer losses (a user's regularizers) and
the historical-averaging penalty are counted once over the replicas, and the logged
metrics are the single-device ones. The registry's first-step check cannot see
either penalty: no preset network has a regularizer, and the historical penalty is zero
on the first two steps (the mean then equals the weights), so STEPS must be at
least 3. Here several steps run, in float64 (see
`harness.first_step_mismatch`), with the same noise on both sides."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from keras_gen import GAN, Autoencoder
from keras_gen.models import adversarial, base

from .fixed_noise import fixed_noise

BATCH, STEPS = 16, 3


def _images():
    rng = np.random.default_rng(0)
    return rng.uniform(0, 1, (BATCH * STEPS, 28, 28, 1))


def _gan():
    # A discriminator with a kernel regularizer and an activity regularizer: the
    # layer losses of the discriminator's phase.
    x = keras.Input((28, 28, 1))
    h = layers.Flatten()(x)
    h = layers.Dense(
        8,
        activation="relu",
        kernel_regularizer=keras.regularizers.L2(0.5),
        activity_regularizer=keras.regularizers.L1(0.05),
    )(h)
    discriminator = keras.Model(x, layers.Dense(1)(h))
    return GAN(
        latent_dim=4,
        generator_units=(8,),
        discriminator=discriminator,
        maxout_pieces=2,
        historical_averaging=10.0,
        seed=0,
    )


def _autoencoder():
    x = keras.Input((28, 28, 1))
    h = layers.Flatten()(x)
    code = layers.Dense(
        4,
        kernel_regularizer=keras.regularizers.L2(0.5),
        activity_regularizer=keras.regularizers.L2(0.1),
    )(h)
    encoder = keras.Model(x, code)
    return Autoencoder(latent_dim=4, encoder=encoder, hidden_units=(8,), seed=0)


BUILDERS = {"gan": _gan, "autoencoder": _autoencoder}


def _run(build, strategy, initial):
    with strategy.scope():
        model = build()
        model.set_weights(initial)
        # Plain SGD: its step is linear in the gradient, so a penalty counted
        # twice (once per replica) changes the weights.
        model.compile(**{n: keras.optimizers.SGD(0.05) for n in model.optimizer_names})
    data = tf.data.Dataset.from_tensor_slices(_images()).batch(BATCH)
    history = model.fit(data, epochs=1, verbose=0, shuffle=False)
    logs = {k: float(v[-1]) for k, v in history.history.items()}
    return [w - w0 for w, w0 in zip(model.get_weights(), initial, strict=True)], logs


def _compare(name, strategy, monkeypatch):
    """Relative weight mismatch after STEPS steps, and the logs of both runs."""
    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float64")
    try:
        build = BUILDERS[name]
        initial = [w.copy() for w in build().get_weights()]
        fixed_noise(monkeypatch, BATCH)
        single, single_logs = _run(build, tf.distribute.get_strategy(), initial)
        mirrored, mirrored_logs = _run(build, strategy, initial)
    finally:
        keras.config.set_dtype_policy(policy)
    scale = max(np.abs(d).max() for d in single)
    assert scale > 1e-4, "training did not move the weights"
    mismatch = max(np.abs(m - s).max() for s, m in zip(single, mirrored, strict=True))
    return mismatch / scale, single_logs, mirrored_logs


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_penalties_and_trackers_match_one_device(name, two_replicas, monkeypatch):
    mismatch, single, mirrored = _compare(name, two_replicas, monkeypatch)
    assert mismatch < 1e-6, f"relative mismatch {mismatch:.3g}"
    assert single.keys() == mirrored.keys()
    for key, value in single.items():
        np.testing.assert_allclose(mirrored[key], value, rtol=1e-6, err_msg=key)


def test_the_gan_pays_both_penalties(monkeypatch):
    # The penalties are not zero in this setup, or the comparison above would
    # not see a fault in their scaling.
    gan = _gan()
    gan.compile(
        d_optimizer=keras.optimizers.SGD(0.05), g_optimizer=keras.optimizers.SGD(0.05)
    )
    gan.fit(_images().astype("float32"), batch_size=BATCH, verbose=0)
    gan.discriminator(_images()[:BATCH].astype("float32"))
    assert float(gan.layer_penalty([gan.discriminator])) > 1e-3
    assert float(gan.history_penalty(["generator", "discriminator"])) > 1e-6


@pytest.mark.parametrize(
    "name, target, method",
    [
        ("gan", adversarial.AdversarialModel, "history_penalty"),
        ("gan", base.GenerativeModel, "layer_penalty"),
        ("autoencoder", base.GenerativeModel, "layer_penalty"),
    ],
)
def test_a_penalty_counted_on_every_replica_would_break_the_match(
    name, target, method, two_replicas, monkeypatch
):
    original = getattr(target, method)

    def unscaled(self, *args):
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        return original(self, *args) * replicas

    monkeypatch.setattr(target, method, unscaled)
    mismatch, _, _ = _compare(name, two_replicas, monkeypatch)
    assert mismatch > 1e-3
