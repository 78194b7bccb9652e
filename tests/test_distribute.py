"""The distribution contract: 2 replicas give the single-device update."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import Autoencoder, distribute

STEPS, GLOBAL_BATCH = 3, 32


def _train(strategy, initial_weights, x):
    with strategy.scope():
        model = Autoencoder(hidden_units=(64,), latent_dim=8, seed=1)
        model.set_weights(initial_weights)
        # Plain SGD: its update is linear in the gradient, so a wrongly scaled loss
        # changes the weights (Adam would hide a constant factor).
        model.compile(keras.optimizers.SGD(0.01))
    ds = tf.data.Dataset.from_tensor_slices(x).batch(GLOBAL_BATCH)
    model.fit(ds, epochs=1, verbose=0, shuffle=False)
    return model.get_weights()


def _compare(x, strategy):
    reference = Autoencoder(hidden_units=(64,), latent_dim=8, seed=1).get_weights()
    single = _train(tf.distribute.get_strategy(), reference, x)
    mirrored = _train(strategy, reference, x)
    moved = max(np.abs(s - r).max() for s, r in zip(single, reference, strict=True))
    assert moved > 1e-3, "training did not move the weights"
    return single, mirrored


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return rng.uniform(0, 1, (STEPS * GLOBAL_BATCH, 28, 28, 1)).astype("float32")


def test_two_replicas_match_single_device_weights(images, two_replicas):
    single, mirrored = _compare(images, two_replicas)
    for s, m in zip(single, mirrored, strict=True):
        np.testing.assert_allclose(m, s, rtol=1e-5, atol=1e-6)


def test_per_replica_averaging_would_break_the_match(images, monkeypatch, two_replicas):
    # What the contract forbids: each replica dividing by its own batch size.
    monkeypatch.setattr(
        distribute, "average_loss", lambda per_example: tf.reduce_mean(per_example)
    )
    single, mirrored = _compare(images, two_replicas)
    worst = max(
        np.abs(m - s).max() / (np.abs(s).max() + 1e-12)
        for s, m in zip(single, mirrored, strict=True)
    )
    assert worst > 1e-3


def test_average_loss_divides_by_global_batch(two_replicas):
    strategy = two_replicas
    values = strategy.run(lambda: distribute.average_loss(tf.constant([1.0, 3.0])))
    # Each replica holds 2 examples of a global batch of 4: sum 4 / 4 = 1.
    assert [float(v) for v in strategy.experimental_local_results(values)] == [1.0, 1.0]


def test_average_loss_rejects_non_vectors():
    with pytest.raises(ValueError, match="rank 1"):
        distribute.average_loss(tf.zeros((2, 3)))


def test_replicas_would_draw_alike_without_the_fold_in(two_replicas, monkeypatch):
    # What the harness's noise check guards against: a plain SeedGenerator hands
    # every replica the same seed.
    from keras_gen.models import base

    monkeypatch.setattr(
        base.ReplicaSeedGenerator, "next", keras.random.SeedGenerator.next
    )
    with two_replicas.scope():
        generator = base.ReplicaSeedGenerator(0)
    values = two_replicas.experimental_local_results(
        two_replicas.run(lambda: keras.random.normal((8,), seed=generator))
    )
    np.testing.assert_array_equal(values[0], values[1])


def test_one_replica_draws_what_a_plain_seed_generator_draws():
    from keras_gen.models import base

    ours = keras.random.normal((8,), seed=base.ReplicaSeedGenerator(3))
    plain = keras.random.normal((8,), seed=keras.random.SeedGenerator(3))
    np.testing.assert_array_equal(ours, plain)
