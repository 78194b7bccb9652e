"""Stacked autoencoder with greedy layer-wise pretraining, and its classifier."""

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from .autoencoder import Autoencoder


def _dense_layers(model):
    return [layer for layer in model.layers if isinstance(layer, layers.Dense)]


@keras.saving.register_keras_serializable(package="keras_gen")
class StackedAutoencoder(Autoencoder):
    """A deep dense autoencoder whose layers can be pretrained one at a time.

    `pretrain_layerwise` trains one shallow autoencoder per encoder layer on the
    codes of the layers below it (Bengio et al. 2007), copies its encoder into that
    layer and its decoder into the mirrored decoder layer; `fit` then fine-tunes the
    whole stack, and `to_classifier` turns the encoder into a classifier to
    fine-tune on labels.

    Args:
        **kwargs: `Autoencoder` arguments (dense network only).

    Reference:
        Bengio, Lamblin, Popovici, Larochelle, "Greedy layer-wise training of deep
        networks", NIPS 2007.
    """

    def __init__(self, **kwargs):
        if kwargs.get("network", "mlp") != "mlp":
            raise ValueError("StackedAutoencoder is dense: network must be 'mlp'.")
        super().__init__(**kwargs)
        enc, dec = _dense_layers(self.encoder), _dense_layers(self.decoder)
        if len(enc) != len(dec):
            raise ValueError(
                f"encoder and decoder need as many Dense layers to mirror; got "
                f"{len(enc)} and {len(dec)}."
            )

    def _codes(self, x, depth):
        h = tf.reshape(tf.convert_to_tensor(x, tf.float32), (len(x), -1))
        for dense in _dense_layers(self.encoder)[:depth]:
            h = dense(h)
        return h.numpy()

    def pretrain_layerwise(
        self, x, epochs=5, batch_size=128, learning_rate=1e-3, verbose=0
    ):
        """Greedy layer-wise pretraining, bottom layer first.

        Args:
            x: Training inputs as an array (unlabelled).
            epochs: Epochs for each layer's shallow autoencoder.
            batch_size: Batch size.
            learning_rate: Adam learning rate.
            verbose: Passed to `fit`.

        Returns:
            List of each layer's final training loss.
        """
        x = np.asarray(self.validate_inputs(x, "pretrain_layerwise"))
        enc, dec = _dense_layers(self.encoder), _dense_layers(self.decoder)
        losses = []
        for depth, (e, d) in enumerate(zip(enc, dec[::-1], strict=True)):
            inputs = self._codes(x, depth)
            width = inputs.shape[-1]
            shallow_enc = keras.Sequential(
                [keras.Input((width,)), layers.Dense(e.units, e.activation)]
            )
            shallow_dec = keras.Sequential(
                [keras.Input((e.units,)), layers.Dense(width, d.activation)]
            )
            # The bottom layer reconstructs the data under the model's likelihood;
            # upper layers reconstruct real-valued codes (Gaussian).
            first = depth == 0
            shallow = Autoencoder(
                input_shape=(width,),
                latent_dim=e.units,
                encoder=shallow_enc,
                decoder=shallow_dec,
                likelihood=self.likelihood if first else "gaussian",
                seed=self.seed,
            )
            shallow.compile(keras.optimizers.Adam(learning_rate))
            history = shallow.fit(
                inputs, epochs=epochs, batch_size=batch_size, verbose=verbose
            )
            losses.append(history.history["loss"][-1])
            e.set_weights(shallow_enc.layers[-1].get_weights())
            d.set_weights(shallow_dec.layers[-1].get_weights())
        return losses

    def fit_recipe(self, train, *, epochs, callbacks=(), verbose=2, recipe=None):
        """Layer-wise pretraining first (`recipe["pretrain_epochs"]` per layer, on
        the images of `train`), then the `Autoencoder` recipe (fine-tuning by `fit`
        and the code distribution)."""
        recipe = recipe or {}
        if recipe.get("pretrain_epochs"):
            images = np.concatenate(
                [np.asarray(b[0] if isinstance(b, tuple) else b) for b in train]
            )
            self.pretrain_layerwise(
                images,
                epochs=recipe["pretrain_epochs"],
                batch_size=recipe.get("batch_size", 128),
                verbose=verbose,
            )
        return super().fit_recipe(
            train, epochs=epochs, callbacks=callbacks, verbose=verbose, recipe=recipe
        )

    def to_classifier(self, num_classes, dropout=0.0):
        """A classifier: a copy of the encoder, then a softmax layer.

        Args:
            num_classes: Number of classes.
            dropout: Dropout rate before the softmax layer.

        Returns:
            An uncompiled `keras.Model` whose encoder starts from this one's weights.
        """
        if int(num_classes) != num_classes or num_classes < 2:
            raise ValueError(
                f"num_classes must be an integer >= 2, got {num_classes!r}."
            )
        encoder = keras.models.clone_model(self.encoder)
        encoder.set_weights(self.encoder.get_weights())
        inputs = keras.Input(self.data_shape)
        h = encoder(inputs)
        if dropout:
            h = layers.Dropout(dropout)(h)
        outputs = layers.Dense(int(num_classes), activation="softmax")(h)
        return keras.Model(inputs, outputs, name="stacked_classifier")
