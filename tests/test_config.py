"""One source of truth in each config: hyperparameters or given networks, never both."""

import inspect
import json
import warnings

import keras
import numpy as np
import pytest

from keras_gen import (
    VAE,
    WGANGP,
    Autoencoder,
    Classifier,
    ContractiveAutoencoder,
    DeepClustering,
    SemiSupervisedVAE,
    presets,
    zoo,
)
from keras_gen.models import networks

SHIPPED = zoo.list_models(pretrained=True)
REGISTERED = zoo.list_models()


def _json(value):
    return json.loads(json.dumps(value))


def constructor_arguments(cls):
    """Named arguments of `cls(...)`, following `**kwargs` to the parents (and the
    GAN family's `_init_game`, which takes the game's arguments)."""
    names = set()
    for klass in cls.__mro__:
        if klass is keras.Model:
            # keras.Model passes its keyword arguments on to keras.layers.Layer.
            klass = keras.layers.Layer
        takes_more = False
        for method in ("__init__", "_init_game"):
            function = klass.__dict__.get(method)
            if function is None:
                continue
            for parameter in inspect.signature(function).parameters.values():
                if parameter.kind is parameter.VAR_KEYWORD:
                    takes_more = takes_more or method == "__init__"
                elif parameter.kind is not parameter.VAR_POSITIONAL:
                    names.add(parameter.name)
        if klass is keras.layers.Layer or (
            "__init__" in klass.__dict__ and not takes_more
        ):
            break
    return names - {"self"}


def serialized_networks(config):
    return sorted(key for key, value in config.items() if isinstance(value, dict))


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_config_is_get_config_of_the_loaded_model(name):
    shipped = json.loads((zoo.preset_dir(name) / presets.CONFIG_FILE).read_text())
    model = zoo.create_model(name, pretrained=True)
    assert shipped["registered_name"] == f"keras_gen>{type(model).__name__}"
    assert shipped["config"] == _json(model.get_config())
    # Hyperparameters only: M2's m1 is the one network a preset is given.
    assert serialized_networks(shipped["config"]) == (
        ["m1"] if name.startswith("m2_") else []
    )


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_config_keys_are_constructor_arguments(name):
    config = json.loads((zoo.preset_dir(name) / presets.CONFIG_FILE).read_text())
    cls = zoo.get_preset(name).model_class
    unknown = set(config["config"]) - constructor_arguments(cls)
    assert not unknown, f"{cls.__name__} does not take {sorted(unknown)}"


def test_constructor_arguments_follow_kwargs_to_the_parents():
    assert {"contraction", "latent_dim", "hidden_units", "seed", "name"} <= (
        constructor_arguments(ContractiveAutoencoder)
    )
    assert {"n_critic", "kernel_size", "generator", "noise", "ema_decay"} <= (
        constructor_arguments(WGANGP)
    )


@pytest.mark.parametrize("name", REGISTERED)
def test_a_model_built_from_its_preset_config_serializes_no_network(name):
    model = zoo.create_model(name)
    config = model.get_config()
    given = ["m1"] if getattr(model, "m1", None) is not None else []
    assert serialized_networks(config) == given
    for key in given:
        # The given M1 is itself recorded by its hyperparameters.
        assert serialized_networks(config[key]["config"]) == []
    for key in config:
        assert key in constructor_arguments(type(model)), key
    clone = type(model).from_config(_json(config))
    assert _json(clone.get_config()) == _json(config)


@pytest.mark.parametrize("name", SHIPPED)
def test_pretrained_presets_refuse_every_architecture_override(name):
    cls = zoo.get_preset(name).model_class
    assert cls.architecture_arguments()
    for argument in cls.architecture_arguments():
        with pytest.raises(ValueError, match=f"cannot override {argument}") as error:
            zoo.create_model(name, pretrained=True, **{argument: object()})
        assert name in str(error.value)
        assert "without pretrained=True" in str(error.value)


def test_the_issue_example_is_refused_and_works_without_weights():
    with pytest.raises(ValueError, match="hidden_units.*without pretrained=True"):
        zoo.create_model("ae_mnist", pretrained=True, hidden_units=(16,))
    with pytest.raises(ValueError, match="cannot override encoder"):
        zoo.create_model("ae_mnist", pretrained=True, encoder=None)
    model = zoo.create_model("ae_mnist", hidden_units=(16,))
    assert model.encoder.layers[2].units == 16
    assert model.get_config()["hidden_units"] == [16]


def test_pretrained_overrides_outside_the_architecture_still_work():
    shipped = zoo.create_model("vae_mnist", pretrained=True)
    model = zoo.create_model("vae_mnist", pretrained=True, beta=2.0, seed=5)
    assert model.beta == 2.0 and model.seed == 5
    for a, b in zip(model.get_weights(), shipped.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # The loss weighs the KL by the overriding beta, not by the loaded kl_weight.
    x = _images(8)
    one, two = shipped.compute_losses(x), model.compute_losses(x)
    np.testing.assert_allclose(
        two["loss"] - two["reconstruction"], 2.0 * two["kl"], rtol=1e-5
    )
    np.testing.assert_allclose(
        one["loss"] - one["reconstruction"], one["kl"], rtol=1e-5
    )
    gan = zoo.create_model("gan_mnist", pretrained=True, d_steps=2)
    assert gan.d_steps == 2 and gan.get_config()["d_steps"] == 2


def _images(n=4):
    return np.random.default_rng(0).uniform(0, 1, (n, 28, 28, 1)).astype("float32")


def _round_trip(model, x):
    config = _json(model.get_config())
    clone = type(model).from_config(config)
    clone.set_weights(model.get_weights())
    assert _json(clone.get_config()) == config
    np.testing.assert_array_equal(clone(x), model(x))
    return config


def test_a_given_network_is_serialized_and_its_arguments_left_out():
    encoder = networks.mlp_encoder((28, 28, 1), 4, (8,), "tanh", "sigmoid")
    model = Autoencoder(latent_dim=4, hidden_units=(16,), encoder=encoder)
    config = _round_trip(model, _images())
    assert serialized_networks(config) == ["encoder"]
    # The built decoder still needs hidden_units and activation; code_activation
    # shapes only the encoder.
    assert config["hidden_units"] == [16] and "activation" in config
    assert "code_activation" not in config
    decoder = networks.mlp_decoder(4, (28, 28, 1), (8,))
    both = Autoencoder(latent_dim=4, encoder=encoder, decoder=decoder)
    config = _round_trip(both, _images())
    assert serialized_networks(config) == ["decoder", "encoder"]
    for argument in Autoencoder.architecture_arguments():
        assert argument not in config
    assert config["latent_dim"] == 4


def test_given_networks_of_the_other_families():
    vae_encoder = networks.mlp_encoder((28, 28, 1), 6, (8,), "tanh")
    vae = VAE(latent_dim=3, hidden_units=(16,), encoder=vae_encoder)
    config = _round_trip(vae, _images())
    assert serialized_networks(config) == ["encoder"] and config["hidden_units"] == [16]
    network = Classifier(filters=(4,), dense_units=8).network
    classifier = Classifier(network=network)
    config = _round_trip(classifier, _images())
    assert serialized_networks(config) == ["network"]
    assert not {"filters", "dense_units", "dropout"} & set(config)
    small = dict(hidden_units=(8,), classifier_units=(8,), latent_dim=3)
    generative = SemiSupervisedVAE(**small).generative
    m2 = SemiSupervisedVAE(classifier_units=(8,), generative=generative)
    config = _round_trip(m2, _images())
    assert serialized_networks(config) == ["generative"]
    assert config["classifier_units"] == [8] and "activation" in config
    assert not {"latent_dim", "hidden_units", "likelihood"} & set(config)
    assert m2.latent_dim == 3  # the given generative model says the size of z


def test_an_old_config_holding_networks_and_arguments_keeps_the_networks():
    model = Autoencoder(latent_dim=4, hidden_units=(8,))
    old = _json(model.get_config()) | {
        "encoder": keras.saving.serialize_keras_object(model.encoder),
        "decoder": keras.saving.serialize_keras_object(model.decoder),
        "hidden_units": [123],  # stale, as in configs written before
    }
    clone = Autoencoder.from_config(old)
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone(_images()), model(_images()))
    assert "hidden_units" not in clone.get_config()


def test_code_dim_is_a_deprecated_alias_of_latent_dim(tmp_path):
    with pytest.warns(DeprecationWarning, match="latent_dim"):
        model = Autoencoder(code_dim=4, hidden_units=(8,))
    assert model.latent_dim == 4 and model.encoder.output_shape == (None, 4)
    with pytest.warns(DeprecationWarning, match="latent_dim"):
        assert model.code_dim == 4
    config = model.get_config()
    assert config["latent_dim"] == 4 and "code_dim" not in config
    with pytest.warns(DeprecationWarning, match="latent_dim"):
        clustering = DeepClustering(code_dim=3, hidden_units=(8,), num_clusters=2)
    assert clustering.centroids.shape == (2, 3)
    # A config written with code_dim still loads.
    old = _json(config)
    old["code_dim"] = old.pop("latent_dim")
    with pytest.warns(DeprecationWarning, match="latent_dim"):
        assert Autoencoder.from_config(old).latent_dim == 4
    # Saving and loading never touch the deprecated alias.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.save_weights(tmp_path / "ae.weights.h5")
        model.load_weights(tmp_path / "ae.weights.h5")
    assert not [w for w in caught if "code_dim" in str(w.message)]
