"""Stacked autoencoder: greedy layer-wise pretraining and the classifier."""

import keras
import numpy as np
import pytest

from keras_gen import StackedAutoencoder


def test_layerwise_pretraining_sets_every_layer_and_helps(mnist, mnist_test_arrays):
    from keras_gen import data

    x, y = data.load_numpy("mnist", "train[:4000]", data_dir=mnist)
    x = x.astype("float32") / 255.0
    config = dict(
        hidden_units=(128,),
        latent_dim=32,
        activation="sigmoid",
        code_activation="sigmoid",
        seed=0,
    )
    model = StackedAutoencoder(**config)
    before = [w.copy() for w in model.get_weights()]
    losses = model.pretrain_layerwise(x, epochs=3)
    assert len(losses) == 2 and all(np.isfinite(losses))
    changed = [
        not np.array_equal(a, b)
        for a, b in zip(before, model.get_weights(), strict=True)
    ]
    assert sum(changed) >= 8  # kernels and biases of 2 encoder + 2 decoder layers
    # Pretrained stack reconstructs far better than the untrained one.
    fresh = StackedAutoencoder(**config)
    xt = mnist_test_arrays[0][:500]
    assert np.mean(model.compute_losses(xt)["loss"]) < 0.8 * np.mean(
        fresh.compute_losses(xt)["loss"]
    )


def test_classifier_starts_from_the_encoder_and_fine_tunes(mnist, mnist_test_arrays):
    from keras_gen import data

    x, y = data.load_numpy("mnist", "train[:4000]", data_dir=mnist)
    x = x.astype("float32") / 255.0
    model = StackedAutoencoder(hidden_units=(128,), latent_dim=64, seed=0)
    model.pretrain_layerwise(x, epochs=2)
    clf = model.to_classifier(10)
    np.testing.assert_allclose(clf.layers[1](x[:4]), model.encode(x[:4]), rtol=1e-6)
    clf.compile(
        keras.optimizers.Adam(1e-3),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    clf.fit(x, y, epochs=3, batch_size=64, verbose=0)
    xt, yt = mnist_test_arrays
    accuracy = np.mean(np.argmax(clf.predict(xt[:1000], verbose=0), -1) == yt[:1000])
    assert accuracy > 0.85
    # Fine-tuning the classifier leaves the autoencoder's own encoder alone.
    assert not np.allclose(clf.layers[1](x[:4]), model.encode(x[:4]))


def test_stacked_rejects_conv_and_bad_classes():
    with pytest.raises(ValueError, match="network must be 'mlp'"):
        StackedAutoencoder(network="conv")
    with pytest.raises(ValueError, match="num_classes must be an integer >= 2"):
        StackedAutoencoder(hidden_units=(8,), latent_dim=2).to_classifier(1)
