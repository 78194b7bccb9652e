"""Autoencoder behaviour: losses, training on real MNIST, verbs and bad input."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import Autoencoder
from keras_gen.models.base import GenerativeModel


def _rand(n=8, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, 28, 28, 1)).astype("float32")


def test_bernoulli_loss_is_summed_binary_cross_entropy():
    model = Autoencoder(hidden_units=(16,), latent_dim=4, seed=0)
    x = _rand()
    terms = model.compute_losses(x)
    p = np.clip(model(x).numpy().astype(np.float64), 1e-12, 1 - 1e-12)
    bce = -(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(terms["loss"], bce, rtol=1e-4)
    np.testing.assert_allclose(
        terms["mse"], ((p - x) ** 2).mean(axis=(1, 2, 3)), rtol=1e-4
    )


def test_gaussian_loss_is_half_squared_error_and_accepts_any_range():
    model = Autoencoder(hidden_units=(16,), latent_dim=4, likelihood="gaussian")
    x = _rand() * 10 - 5
    recon = model(x).numpy()
    expected = 0.5 * ((recon - x) ** 2).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(model.compute_losses(x)["loss"], expected, rtol=1e-4)
    assert "bce" not in model.compute_losses(x)


def test_training_on_real_mnist_beats_the_mean_image(mnist, mnist_test_arrays):
    from keras_gen import data

    train = data.load("mnist", "train[:6000]", 100, data_dir=mnist, supervised=False)
    model = Autoencoder(latent_dim=16, hidden_units=(256,), seed=0)
    model.compile(keras.optimizers.Adam(2e-3), steps_per_execution=20)
    history = model.fit(train, epochs=3, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    x, _ = mnist_test_arrays
    x = x[:1000]
    recon_mse = float(np.mean(model.compute_losses(x)["mse"]))
    baseline = float(np.mean((x - x.mean(0)) ** 2))
    assert recon_mse < 0.5 * baseline
    # Digits are typical, uniform noise is not.
    assert np.mean(model.anomaly_score(x[:100])) < np.mean(
        model.anomaly_score(_rand(100))
    )


def test_conv_network_trains():
    model = Autoencoder(network="conv", filters=(8, 16), latent_dim=4, seed=0)
    assert model.encoder.layers[1].__class__.__name__ == "Conv2D"
    model.compile(keras.optimizers.Adam(1e-3))
    history = model.fit(_rand(32), epochs=2, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_fit_code_distribution_and_sample():
    model = Autoencoder(hidden_units=(16,), latent_dim=3, seed=0)
    x = _rand(200)
    mean, cov = model.fit_code_distribution(x)
    codes = model.encode(x).numpy()
    np.testing.assert_allclose(mean, codes.mean(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(cov, np.cov(codes, rowvar=False), rtol=1e-3, atol=1e-5)
    samples = model.sample(500).numpy()
    assert samples.shape == (500, 28, 28, 1)
    assert samples.min() >= 0 and samples.max() <= 1
    # Two calls draw fresh codes from the seeded stream.
    assert not np.allclose(model.sample(4), model.sample(4))


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda x: x * 2.0, "expected values in \\[0.0, 1.0\\]"),
        (lambda x: np.where(x > 0.5, np.nan, x), "NaN"),
        (lambda x: x.astype(str), "expected real numbers"),
    ],
)
def test_bad_values_are_refused_before_any_weight_changes(bad, message):
    model = Autoencoder(hidden_units=(16,), latent_dim=4)
    model.compile(keras.optimizers.Adam(1e-3))
    before = [w.copy() for w in model.get_weights()]
    x = bad(_rand(16))
    with pytest.raises((ValueError, TypeError), match=message):
        model.fit(x, epochs=1, verbose=0)
    if x.dtype != object and x.dtype.kind == "f":
        with pytest.raises(ValueError, match=message):
            model.fit(tf.data.Dataset.from_tensor_slices(x).batch(8), verbose=0)
    for u, v in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)


def test_constructor_and_verb_errors():
    with pytest.raises(ValueError, match="likelihood must be one of"):
        Autoencoder(likelihood="poisson")
    with pytest.raises(ValueError, match="network must be one of"):
        Autoencoder(network="rnn")
    model = Autoencoder(hidden_units=(16,), latent_dim=4)
    with pytest.raises(
        ValueError, match="codes of shape \\(batch, 4\\), got \\(2, 5\\)"
    ):
        model.decode(np.zeros((2, 5), "float32"))
    with pytest.raises(ValueError, match="positive integer"):
        model.sample(0)
    with pytest.raises(ValueError, match="unconditional"):
        model.sample(2, labels=[1, 2])
    with pytest.raises(ValueError, match="encoder must map"):
        Autoencoder(
            latent_dim=4,
            encoder=keras.Sequential(
                [
                    keras.Input((28, 28, 1)),
                    keras.layers.Flatten(),
                    keras.layers.Dense(5),
                ]
            ),
        )


@keras.saving.register_keras_serializable(package="keras_gen_tests")
class _TwoOptimizers(GenerativeModel):
    """A minimal model with two optimizers, for the compile-config round trip."""

    optimizer_names = ("a_optimizer", "b_optimizer")

    def __init__(self, **kwargs):
        super().__init__(input_shape=(2,), **kwargs)
        self.a = keras.layers.Dense(1)
        self.b = keras.layers.Dense(1)
        self.a.build((None, 2))
        self.b.build((None, 2))
        self.built = True

    def call(self, x):
        return self.a(x) + self.b(x)

    def get_config(self):
        return {"name": self.name}


def test_several_optimizers_survive_keras_save_and_load(tmp_path):
    model = _TwoOptimizers()
    # The base's compile takes one optimizer per name in optimizer_names.
    with pytest.raises(ValueError, match="needs both a_optimizer and b_optimizer"):
        model.compile(a_optimizer=keras.optimizers.SGD(0.3))
    model.compile(
        a_optimizer=keras.optimizers.SGD(0.3), b_optimizer=keras.optimizers.Adam(0.02)
    )
    model(np.zeros((1, 2), "float32"))
    model.save(tmp_path / "two.keras")
    loaded = keras.saving.load_model(tmp_path / "two.keras")
    assert isinstance(loaded.a_optimizer, keras.optimizers.SGD)
    assert float(loaded.a_optimizer.learning_rate) == pytest.approx(0.3)
    assert isinstance(loaded.b_optimizer, keras.optimizers.Adam)
    assert float(loaded.b_optimizer.learning_rate) == pytest.approx(0.02)
