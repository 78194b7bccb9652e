"""The distribution contract: 2 replicas give the single-device update."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import Autoencoder, distribute, losses, zoo

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


def _per_replica(strategy, rows):
    """A distributed value: replica i holds `rows[i]`."""
    return strategy.experimental_distribute_values_from_function(
        lambda context: tf.constant(rows[context.replica_id_in_sync_group])
    )


def test_global_mean_is_the_same_on_every_replica(two_replicas):
    values = _per_replica(two_replicas, [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    means = two_replicas.run(distribute.global_mean, (values,))
    assert [float(m) for m in two_replicas.experimental_local_results(means)] == [
        0.25,
        0.25,
    ]
    assert float(distribute.global_mean(tf.constant([1.0, 0.0, 0.0]))) == pytest.approx(
        1 / 3
    )


def test_labelled_cross_entropy_of_uneven_replicas_is_the_global_mean(two_replicas):
    # Replica 0 holds both labelled examples, replica 1 none: each replica's own
    # share (1/2 and 0) would weight them twice over.
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 4, 3)).astype("float32")
    labels = np.array([[0, 2, -1, -1], [-1, -1, -1, -1]], "int32")
    ce = keras.losses.sparse_categorical_crossentropy(
        np.maximum(labels[0, :2], 0), logits[0, :2], from_logits=True
    )
    single = float(np.mean(ce))

    def loss(y, z):
        return distribute.average_loss(losses.labelled_cross_entropy(y, z)[0])

    per_replica = two_replicas.run(
        loss,
        (
            _per_replica(two_replicas, labels.tolist()),
            _per_replica(two_replicas, logits.tolist()),
        ),
    )
    total = sum(float(v) for v in two_replicas.experimental_local_results(per_replica))
    np.testing.assert_allclose(total, single, rtol=1e-6)


def test_strategies_by_name_and_clear_errors(monkeypatch):
    assert distribute.get_strategy("default") is tf.distribute.get_strategy()
    assert distribute.get_strategy("mirrored").num_replicas_in_sync == 2
    with pytest.raises(ValueError, match="one of 'auto', 'default'.*got 'nccl'"):
        distribute.get_strategy("nccl")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="TF_CONFIG environment variable"):
        distribute.get_strategy("multi_worker")
    for variable in distribute.TPU_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(ValueError, match="found no TPU"):
        distribute.get_strategy("tpu")
    with pytest.raises(TypeError, match="got int"):
        distribute.resolve_strategy(2)


def test_auto_picks_a_tpu_then_several_gpus_then_the_default(monkeypatch):
    # No GPU or TPU here: the device list and the strategies are stand-ins, so
    # the test checks the choice, not TensorFlow's strategies.
    for variable in distribute.TPU_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    real_list = tf.config.list_logical_devices
    gpus = []

    def devices(kind=None):
        return list(gpus) if kind == "GPU" else real_list(kind)

    made = []
    monkeypatch.setattr(tf.config, "list_logical_devices", devices)
    monkeypatch.setattr(
        tf.distribute, "MirroredStrategy", lambda d: made.append(d) or "mirrored"
    )
    monkeypatch.setattr(distribute, "_tpu_strategy", lambda: "tpu")
    assert distribute.get_strategy("auto") is tf.distribute.get_strategy()
    gpus.append(tf.config.LogicalDevice("/device:GPU:0", "GPU"))
    assert distribute.get_strategy() is tf.distribute.get_strategy()  # one GPU
    gpus.append(tf.config.LogicalDevice("/device:GPU:1", "GPU"))
    assert distribute.get_strategy() == "mirrored"
    assert made == [["/device:GPU:0", "/device:GPU:1"]]
    monkeypatch.setenv("COLAB_TPU_ADDR", "10.0.0.2:8470")
    assert distribute.get_strategy("auto") == "tpu"


def test_a_run_trains_under_a_strategy(tmp_path, two_replicas):
    # The session's strategy: a second MirroredStrategy training in the same
    # process can collide with the first's collective keys.
    from keras_gen import runs, zoo

    from .test_any_shape import write_images

    folder = write_images(tmp_path / "images", (8, 8, 1), n=32)
    model, meta = runs.train(
        "vae",
        folder,
        tmp_path / "run",
        epochs=1,
        batch_size=8,
        verbose=0,
        evaluation_samples=100,
        likelihood_samples=10,
        strategy=two_replicas,
    )
    assert meta["strategy"] == "MirroredStrategy" and meta["replicas"] == 2
    assert model.distribute_strategy.num_replicas_in_sync == 2
    loaded = zoo.create_model(str(tmp_path / "run"))
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # saved under it, loaded without


def test_a_preset_saved_without_a_strategy_loads_and_trains_under_one(two_replicas):
    from keras_gen import zoo

    from . import harness

    x = np.random.default_rng(0).uniform(0, 1, (32, 28, 28, 1)).astype("float32")
    plain = zoo.create_model("ae_mnist", pretrained=True)
    with two_replicas.scope():
        mirrored = zoo.create_model("ae_mnist", pretrained=True)
        harness.compile_model(mirrored)
    assert mirrored.distribute_strategy is two_replicas
    np.testing.assert_allclose(
        np.asarray(mirrored.reconstruct(x)), np.asarray(plain.reconstruct(x)), atol=1e-6
    )
    history = mirrored.fit(tf.data.Dataset.from_tensor_slices(x).batch(16), verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def _mismatch(name, strategy, monkeypatch):
    from . import harness

    return harness.first_step_mismatch(
        name, harness.Context(None, strategy, monkeypatch)
    )


@pytest.mark.parametrize("name", zoo.list_models())
def test_the_step_check_fails_on_per_replica_averaging(name, two_replicas, monkeypatch):
    # harness.check_distributed_step would catch a loss each replica divides by its
    # own batch size, in every family (every phase of a two- or three-optimizer
    # step goes through distribute.average_loss).
    monkeypatch.setattr(
        distribute, "average_loss", lambda per_example: tf.reduce_mean(per_example)
    )
    assert _mismatch(name, two_replicas, monkeypatch) > 1e-3


def test_per_replica_batch_norm_would_break_the_step(two_replicas, monkeypatch):
    # Keras' default BatchNormalization (each replica's own statistics) in DCGAN's
    # generator: what networks.synced_batch_norm avoids.
    from keras_gen.models import networks

    monkeypatch.setattr(
        networks,
        "synced_batch_norm",
        lambda **kw: keras.layers.BatchNormalization(**kw),
    )
    assert _mismatch("dcgan_mnist", two_replicas, monkeypatch) > 1e-3


def test_per_replica_batch_statistics_would_break_the_step(two_replicas, monkeypatch):
    # Minibatch discrimination over each replica's examples only, and feature
    # matching with each replica's own means.
    monkeypatch.setattr(distribute, "gather_batch", lambda x: x)
    assert _mismatch("improved_gan_mnist", two_replicas, monkeypatch) > 1e-3
    monkeypatch.setattr(distribute, "batch_mean", lambda x: tf.reduce_mean(x, 0))
    assert _mismatch("ssgan_mnist_100labels", two_replicas, monkeypatch) > 1e-3


def test_batch_mean_and_gather_batch_see_every_replica(two_replicas):
    strategy = two_replicas

    def step():
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        x = tf.fill((replica + 1, 2), tf.cast(replica, "float32") + 1.0)
        return distribute.batch_mean(x), distribute.gather_batch(x)

    means, gathered = strategy.run(step)
    # Replica 0 holds one row of 1s, replica 1 two rows of 2s: mean 5/3.
    for mean in strategy.experimental_local_results(means):
        np.testing.assert_allclose(mean, [5 / 3, 5 / 3], rtol=1e-6)
    for rows in strategy.experimental_local_results(gathered):
        np.testing.assert_array_equal(rows[:, 0], [1.0, 2.0, 2.0])


def test_keras_multi_step_loop_still_fails_under_several_replicas(two_replicas):
    # The reason Model.compile runs one step per execution there: a plain Keras
    # model fails too. When this starts passing, drop the fallback.
    x = np.zeros((32, 4), "float32")
    with two_replicas.scope():
        plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        plain.compile("sgd", "mse", steps_per_execution=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="placeholder"):
        plain.fit(x, x[:, :1], batch_size=8, verbose=0)


def test_steps_per_execution_falls_back_to_one_under_several_replicas(two_replicas):
    from keras_gen import zoo

    x = np.random.default_rng(0).uniform(0, 1, (64, 28, 28, 1)).astype("float32")
    with two_replicas.scope():
        model = zoo.create_model(
            "ae_mnist", **zoo.get_preset("ae_mnist").test_overrides
        )
        with pytest.warns(UserWarning, match="one step per execution under 2 replicas"):
            model.compile(keras.optimizers.Adam(1e-3), steps_per_execution=50)
    history = model.fit(tf.data.Dataset.from_tensor_slices(x).batch(16), verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert int(model.optimizer.iterations.numpy()) == 4


def test_noise_layers_draw_alike_on_replicas_until_fit_prepares_them(two_replicas):
    # A Dropout's own plain SeedGenerator gives both replicas the same mask, and
    # the harness's check fails on it; fit swaps in the replica-aware generator.
    from keras_gen import distribute

    from . import harness

    with two_replicas.scope():
        model = harness.small_model("gan_mnist")
    assert harness.noise_layers(model)  # the discriminator's Dropout layers
    with pytest.raises(AssertionError, match="drew alike on both replicas"):
        harness.check_noise_layers_differ_across_replicas(
            model, two_replicas, prepare=False
        )
    harness.check_noise_layers_differ_across_replicas(model, two_replicas)
    # fit is what prepares them.
    fresh = harness.small_model("gan_mnist")
    harness.compile_model(fresh)
    assert not any(
        isinstance(g, distribute.ReplicaSeedGenerator)
        for _, g in harness.noise_layers(fresh)
    )
    fresh.fit(harness.fit_data(fresh, harness.fake_batch(fresh, 8)), verbose=0)
    assert all(
        isinstance(g, distribute.ReplicaSeedGenerator)
        for _, g in harness.noise_layers(fresh)
    )
    # One device: the swapped generator draws what the plain one drew.
    plain, swapped = keras.random.SeedGenerator(5), keras.random.SeedGenerator(5)
    swapped.__class__ = distribute.ReplicaSeedGenerator
    np.testing.assert_array_equal(
        keras.random.normal((6,), seed=plain), keras.random.normal((6,), seed=swapped)
    )
