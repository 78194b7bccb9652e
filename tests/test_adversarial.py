"""The adversarial core: any number of named optimizers and phases.

`ToyAAE` is an adversarial autoencoder in miniature, the shape the AAE family needs:
three optimizers, the encoder updated by two of them, and the reconstruction
optimizer serving two phases over the encoder.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from keras_gen import losses
from keras_gen.models.adversarial import AdversarialModel

DIM, CODE = 6, 2


def _net(inputs, outputs, name, hidden=8):
    x = keras.Input((inputs,))
    h = keras.layers.Dense(hidden, activation="relu")(x)
    return keras.Model(x, keras.layers.Dense(outputs)(h), name=name)


@keras.saving.register_keras_serializable(package="keras_gen_tests")
class ToyAAE(AdversarialModel):
    optimizer_names = ("ae_optimizer", "d_optimizer", "g_optimizer")
    optimizer_networks = {
        "ae_optimizer": ("encoder", "decoder"),
        "d_optimizer": ("discriminator",),
        "g_optimizer": ("encoder",),
    }

    def __init__(self, seed=0, **kwargs):
        super().__init__((DIM,), seed=seed, **kwargs)
        self.encoder = _net(DIM, CODE, "encoder")
        self.decoder = _net(CODE, DIM, "decoder")
        self.discriminator = _net(CODE, 1, "discriminator")
        self._declare_metrics(["reconstruction", "smoothness", "d_loss", "g_loss"])
        self.built = True

    def call(self, x, training=False):
        return self.decoder(self.encoder(x, training=training), training=training)

    def train_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)

        def reconstruction():
            error = ops.sum(ops.square(self(x, training=True) - x), axis=-1)
            return {"reconstruction": error}

        def smoothness():
            # A second phase of the same optimizer over the encoder.
            return {"smoothness": ops.sum(ops.square(self.encoder(x)), axis=-1)}

        def discriminator():
            prior = keras.random.normal(
                (ops.shape(x)[0], CODE), seed=self.seed_generator
            )
            real = ops.reshape(self.discriminator(prior), (-1,))
            fake = ops.reshape(self.discriminator(self.encoder(x)), (-1,))
            return {"d_loss": losses.minimax_discriminator_loss(real, fake)}

        def generator():
            fake = ops.reshape(self.discriminator(self.encoder(x)), (-1,))
            return {"g_loss": losses.modified_generator_loss(fake)}

        terms = self.phase("ae_optimizer", reconstruction, "reconstruction")
        terms |= self.phase("ae_optimizer", smoothness, "smoothness")
        terms |= self.phase("d_optimizer", discriminator, "d_loss")
        terms |= self.phase("g_optimizer", generator, "g_loss")
        return self._update_metric_trackers(terms)

    def get_config(self):
        return {"name": self.name, "seed": self.seed}


def _data():
    x = np.random.default_rng(0).normal(size=(64, DIM)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(x).batch(16)


def _compiled():
    model = ToyAAE()
    model.compile(
        ae_optimizer=keras.optimizers.Adam(1e-2),
        d_optimizer=keras.optimizers.Adam(1e-2),
        g_optimizer=keras.optimizers.SGD(1e-2),
    )
    return model


def test_each_optimizer_updates_only_its_networks():
    model = _compiled()
    disc = [w.numpy().copy() for w in model.discriminator.weights]
    dec = [w.numpy().copy() for w in model.decoder.weights]
    enc = [w.numpy().copy() for w in model.encoder.weights]
    model.fit(_data(), epochs=1, verbose=0)
    # Four batches: the reconstruction optimizer ran two phases per step.
    assert int(model.ae_optimizer.iterations) == 8
    assert int(model.d_optimizer.iterations) == 4
    assert int(model.g_optimizer.iterations) == 4
    for before, net in (
        (disc, model.discriminator),
        (dec, model.decoder),
        (enc, model.encoder),
    ):
        assert any(
            not np.allclose(b, w.numpy())
            for b, w in zip(before, net.weights, strict=True)
        )
    assert len(model.optimizer_variables("ae_optimizer")) == len(
        model.encoder.trainable_variables + model.decoder.trainable_variables
    )


def test_three_optimizers_save_and_load_with_their_state(tmp_path):
    model = _compiled()
    model.fit(_data(), epochs=1, verbose=0)
    path = tmp_path / "toy.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    for name in model.optimizer_names:
        saved, restored = getattr(model, name), getattr(loaded, name)
        assert type(restored) is type(saved)
        assert int(restored.iterations) == int(saved.iterations) > 0
        assert len(saved.variables) == len(restored.variables)
        for u, v in zip(saved.variables, restored.variables, strict=True):
            np.testing.assert_array_equal(u.numpy(), v.numpy())
    x = next(iter(_data()))
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6)
    before = [w.copy() for w in loaded.get_weights()]
    loaded.fit(_data(), epochs=1, verbose=0)
    assert int(loaded.ae_optimizer.iterations) == 16
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(before, loaded.get_weights(), strict=True)
    )


def test_compile_names_every_missing_optimizer():
    with pytest.raises(
        ValueError,
        match="needs ae_optimizer, d_optimizer, g_optimizer, got no g_optimizer",
    ):
        ToyAAE().compile(
            ae_optimizer=keras.optimizers.Adam(), d_optimizer=keras.optimizers.Adam()
        )
    with pytest.raises(ValueError, match="before fit"):
        ToyAAE().fit(_data(), verbose=0)
    with pytest.raises(ValueError, match="has no optimizer 'x_optimizer'"):
        ToyAAE().optimizer_variables("x_optimizer")


def test_discriminator_outputs_split_into_features_and_logits():
    features, logits = AdversarialModel.split_outputs(
        [tf.ones((2, 5)), tf.ones((2, 3))]
    )
    assert features.shape == (2, 5) and logits.shape == (2, 3)
    assert AdversarialModel.split_outputs(tf.ones((2, 1)))[0] is None
    with pytest.raises(ValueError, match="got 3 outputs"):
        AdversarialModel.split_outputs([1, 2, 3])
