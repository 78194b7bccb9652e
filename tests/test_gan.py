"""GAN, DCGAN, ConditionalGAN, WGANGP: the k-step game, the losses, bad input."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import GAN, WGANGP, ConditionalGAN, evaluation, toy
from keras_gen.models import networks


def _images(n=48, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, 6, 6, 1)).astype("float32")


def _small_gan(**kw):
    base = dict(
        input_shape=(6, 6, 1),
        latent_dim=4,
        generator_units=(8,),
        discriminator_units=(4,),
        maxout_pieces=2,
        seed=1,
    )
    return GAN(**(base | kw))


def _compile(model, d_lr=1e-3, g_lr=1e-3):
    model.compile(
        d_optimizer=keras.optimizers.SGD(d_lr), g_optimizer=keras.optimizers.SGD(g_lr)
    )
    return model


@pytest.mark.parametrize("k", [1, 3])
def test_k_discriminator_updates_per_generator_update(k):
    gan = _compile(_small_gan(d_steps=k))
    x = _images(48)
    gan.fit(tf.data.Dataset.from_tensor_slices(x).batch(8), epochs=1, verbose=0)
    # 6 minibatches of m = 8: 6 / k training iterations of k D steps and one G step.
    assert int(gan.d_optimizer.iterations) == 6
    assert int(gan.g_optimizer.iterations) == 6 // k


def test_each_discriminator_step_gets_its_own_real_minibatch():
    gan = _small_gan(d_steps=3)
    x = np.arange(24, dtype="float32").reshape(24, 1, 1, 1) * np.ones((1, 6, 6, 1))
    grouped = gan._group_minibatches(
        tf.data.Dataset.from_tensor_slices(x).batch(4), None, 4
    )
    steps = [batch.numpy()[:, :, 0, 0, 0] for batch in grouped]
    assert [s.shape for s in steps] == [(4, 3), (4, 3)]  # [m, k] per step
    seen = np.concatenate([s.ravel() for s in steps])
    assert sorted(seen) == list(range(24))  # every example once per epoch


def test_generator_losses_at_an_undecided_discriminator():
    # A discriminator with zero weights and a frozen (lr 0) optimizer says D = 1/2.
    zero = keras.initializers.Zeros()
    disc = keras.Sequential(
        [
            keras.Input((6, 6, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(1, kernel_initializer=zero),
        ]
    )
    for loss, expected in (("minimax", -np.log(2)), ("non_saturating", np.log(2))):
        gan = _compile(
            _small_gan(discriminator=disc, generator_loss=loss), d_lr=0.0, g_lr=0.01
        )
        logs = gan.fit(_images(16), batch_size=16, epochs=1, verbose=0).history
        np.testing.assert_allclose(logs["g_loss"][0], expected, rtol=1e-5)
        np.testing.assert_allclose(logs["d_loss"][0], 2 * np.log(2), rtol=1e-5)
        np.testing.assert_allclose(logs["d_real"][0], 0.5, rtol=1e-5)
        np.testing.assert_allclose(logs["d_fake"][0], 0.5, rtol=1e-5)


def test_discriminator_learns_to_tell_real_from_fake():
    gan = _compile(_small_gan(), d_lr=0.05, g_lr=0.0)
    x = np.full((256, 6, 6, 1), 0.95, "float32")
    logs = gan.fit(x, batch_size=32, epochs=5, verbose=0).history
    assert logs["d_real"][-1] > 0.6 > logs["d_fake"][-1]
    assert logs["d_loss"][-1] < logs["d_loss"][0]


def test_gan_learns_a_two_dimensional_gaussian():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((4096, 2)) * 0.1 + [1.0, -0.5]).astype("float32")
    gen = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(2),
        ]
    )
    disc = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    gan = GAN(
        input_shape=(2,),
        latent_dim=2,
        generator=gen,
        discriminator=disc,
        noise="normal",
        input_range=None,
        seed=0,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
        steps_per_execution=16,
    )
    gan.fit(x, batch_size=64, epochs=20, verbose=0)
    samples = gan.sample(4000).numpy()
    np.testing.assert_allclose(samples.mean(0), [1.0, -0.5], atol=0.1)
    assert np.all(samples.std(0) < 0.3)  # concentrated, not spread over the plane


def test_bad_construction_is_refused():
    with pytest.raises(ValueError, match="d_steps must be an integer >= 1, got 0"):
        _small_gan(d_steps=0)
    with pytest.raises(ValueError, match="generator_loss must be one of"):
        _small_gan(generator_loss="hinge")
    wrong = networks.gan_mlp_generator(4, (5, 5, 1), (8,))
    with pytest.raises(ValueError, match=r"generator makes examples of shape.*5, 5, 1"):
        _small_gan(generator=wrong)
    two_logits = networks.mlp_encoder((6, 6, 1), 2, (4,))
    with pytest.raises(ValueError, match="one logit per example"):
        _small_gan(discriminator=two_logits)


def test_generator_average_follows_each_generator_step(tmp_path):
    gan = _compile(_small_gan(ema_decay=0.75, generator_batch_norm=True), 0.1, 0.1)
    start = [w.numpy() for w in gan.generator.weights]
    x = _images(8)
    gan.fit(tf.data.Dataset.from_tensor_slices(x).batch(8), epochs=1, verbose=0)
    after = [w.numpy() for w in gan.generator.weights]
    moved = False
    for w0, w1, avg in zip(start, after, gan.generator_ema.weights, strict=True):
        # One generator step: ema = 0.75 * start + 0.25 * new (batch-norm stats too).
        np.testing.assert_allclose(avg.numpy(), 0.75 * w0 + 0.25 * w1, atol=1e-6)
        moved |= not np.allclose(w0, w1)
    assert moved
    # Sampling uses the average, not the raw generator.
    z = gan.noise_batch(5)
    np.testing.assert_allclose(
        gan.generate(z), gan.generator_ema(z, training=False), atol=1e-6
    )
    assert not np.allclose(gan.generate(z), gan.generator(z, training=False))
    # The average is saved and restored with the model.
    path = tmp_path / "gan.keras"
    gan.save(path)
    loaded = keras.saving.load_model(path, compile=False)
    assert loaded.ema_decay == 0.75
    np.testing.assert_allclose(loaded.generate(z), gan.generate(z), atol=1e-6)


@pytest.mark.parametrize("decay", [1.0, -0.1, True, "0.9"])
def test_bad_ema_decay_is_refused(decay):
    with pytest.raises(ValueError, match=r"ema_decay must be None or a number in"):
        _small_gan(ema_decay=decay)


def test_ema_decay_takes_numpy_numbers():
    assert _small_gan(ema_decay=np.float32(0.5)).ema_decay == 0.5


def test_compile_needs_both_optimizers():
    gan = _small_gan()
    with pytest.raises(ValueError, match="needs both d_optimizer and g_optimizer"):
        gan.compile(d_optimizer=keras.optimizers.Adam())
    with pytest.raises(ValueError, match="not optimizer"):
        gan.compile(optimizer="adam")
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="separate optimizer objects"):
        gan.compile(d_optimizer=shared, g_optimizer=shared)
    with pytest.raises(
        ValueError, match=r"compile\(d_optimizer=..., g_optimizer=...\)"
    ):
        _small_gan().fit(_images(8), verbose=0)


def _small_cgan(**kw):
    return ConditionalGAN(
        input_shape=(6, 6, 1),
        latent_dim=4,
        num_classes=3,
        generator_units=(8,),
        discriminator_units=(4,),
        maxout_pieces=2,
        seed=0,
        **kw,
    )


def test_conditional_gan_refuses_missing_or_bad_labels_before_any_update():
    cgan = _compile(_small_cgan())
    before = [w.copy() for w in cgan.get_weights()]
    x = _images(8)
    cases = [
        ((x,), "needs class labels"),
        ((tf.data.Dataset.from_tensor_slices(x).batch(4),), "needs class labels"),
        (
            (x, np.array([0, 1, 2, 3, 0, 1, 2, 0])),
            r"labels in \[0, 3\), got .*\[0, 3\]",
        ),
        ((x, np.full(8, -1)), r"labels in \[0, 3\)"),
        ((x, np.full(8, 0.5)), "integer class labels"),
    ]
    for args, message in cases:
        with pytest.raises(ValueError, match=message):
            cgan.fit(*args, epochs=1, verbose=0)
    for u, v in zip(before, cgan.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)
    with pytest.raises(ValueError, match="needs class labels"):
        cgan.sample(4)
    with pytest.raises(ValueError, match=r"labels in \[0, 3\)"):
        cgan.sample(4, labels=3)
    with pytest.raises(ValueError, match=r"labels of shape \(4,\)"):
        cgan.sample(4, labels=[0, 1])


def test_conditional_samples_follow_their_label():
    cgan = _small_cgan()
    assert tuple(cgan.sample(5, labels=2).shape) == (5, 6, 6, 1)
    z = cgan.noise_batch(3)
    a = cgan.generate(z, [0, 0, 0]).numpy()
    b = cgan.generate(z, [1, 1, 1]).numpy()
    assert not np.allclose(a, b)  # the label reaches the generator
    x = _images(3)
    assert not np.allclose(
        cgan((x, np.zeros(3, "int32"))), cgan((x, np.full(3, 2, "int32")))
    )


def test_wgan_gp_runs_n_critic_steps_and_reports_the_penalty():
    wgan = WGANGP(
        input_shape=(8, 8, 1),
        latent_dim=4,
        generator_filters=(4, 2),
        discriminator_filters=(2, 4),
        n_critic=2,
        seed=0,
    )
    _compile(wgan)
    x = np.random.default_rng(0).uniform(0, 1, (32, 8, 8, 1)).astype("float32")
    logs = wgan.fit(x, batch_size=8, epochs=1, verbose=0).history
    assert int(wgan.d_optimizer.iterations) == 4
    assert int(wgan.g_optimizer.iterations) == 2
    # d_loss is the critic loss plus lambda (10) times the penalty, and the penalty
    # of a fresh critic is not zero (its gradient norm is not 1 everywhere).
    np.testing.assert_allclose(
        logs["d_loss"][0],
        -logs["wasserstein"][0] + 10.0 * logs["gradient_penalty"][0],
        rtol=1e-4,
        atol=1e-5,
    )
    assert logs["gradient_penalty"][0] > 1e-3
    assert set(logs) == {"d_loss", "g_loss", "wasserstein", "gradient_penalty"}
    assert wgan.get_config()["n_critic"] == 2
    with pytest.raises(TypeError, match="not d_steps"):
        WGANGP(d_steps=3)


def test_toy_ring_data_fits_a_gan_without_range_checks():
    x = toy.ring_of_gaussians(256, seed=0).astype("float32")
    gen = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    disc = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    gan = GAN((2,), 2, generator=gen, discriminator=disc, input_range=None, seed=0)
    _compile(gan)
    assert np.isfinite(gan.fit(x, batch_size=64, verbose=0).history["d_loss"][0])


def test_parzen_evaluation_picks_sigma_on_validation_and_is_repeatable():
    gan = _small_gan()
    test = tf.data.Dataset.from_tensor_slices(_images(40, seed=1)).batch(20)
    val = tf.data.Dataset.from_tensor_slices(_images(30, seed=2)).batch(10)
    first = evaluation.evaluate(gan, test, validation=val, n=200)
    again = evaluation.evaluate(gan, test, validation=val, n=200)
    assert first == again  # fixed noise: the same samples every time
    assert first["examples"] == 40
    assert first["parzen_sigma"] in np.logspace(-1, 0, 10).astype(float)
    assert np.isfinite(first["parzen_log_likelihood"])
    with pytest.raises(ValueError, match="needs a validation split"):
        evaluation.evaluate(gan, test, n=200)
