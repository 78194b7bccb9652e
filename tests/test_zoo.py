"""The registry: presets by name, saving, verified loading, the shipped ae_mnist."""

import json

import h5py
import keras
import numpy as np
import pytest

from keras_gen import Autoencoder, zoo
from keras_gen.cli import evaluate_preset


@pytest.fixture
def tmp_zoo(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_GEN_ZOO", str(tmp_path))
    return tmp_path


def _trained_small(seed=3):
    model = zoo.create_model("ae_mnist", hidden_units=(32,), code_dim=8, seed=seed)
    x = np.random.default_rng(seed).uniform(0, 1, (64, 28, 28, 1)).astype("float32")
    model.compile(keras.optimizers.Adam(1e-3))
    model.fit(x, epochs=1, batch_size=32, verbose=0)
    return model, x


def test_unknown_preset_lists_known_names():
    with pytest.raises(ValueError, match="Known presets: .*ae_mnist"):
        zoo.create_model("no_such_model")


def test_list_models_filters_by_pattern_and_weights(tmp_zoo):
    assert zoo.list_models("ae*") == ["ae2d_mnist", "ae_mnist"]
    assert zoo.list_models("*ae_mnist") == [
        "ae_mnist",
        "cae_mnist",
        "conv_ae_mnist",
        "cvae_mnist",
        "dae_mnist",
        "scae_mnist",
        "vae_mnist",
    ]
    assert zoo.list_models("vae*") == ["vae2d_mnist", "vae_mnist"]
    assert zoo.list_models("wae*") == []
    assert zoo.list_models(pretrained=True) == []  # the temporary zoo is empty
    assert "ae_mnist" in zoo.list_models(pretrained=False)


def test_create_model_applies_overrides():
    model = zoo.create_model("ae_mnist", code_dim=5)
    assert isinstance(model, Autoencoder)
    assert model.encoder.output_shape == (None, 5)


def test_pretrained_without_weights_is_a_clear_error(tmp_zoo):
    with pytest.raises(ValueError, match="no pretrained weights"):
        zoo.create_model("ae_mnist", pretrained=True)


def test_saved_preset_round_trips_and_holds_only_model_variables(tmp_zoo):
    model, x = _trained_small()
    meta = model.save_to_preset(tmp_zoo / "ae_mnist", {"dataset": "mnist"})
    folder = tmp_zoo / "ae_mnist"
    serialized = json.loads((folder / "config.json").read_text())
    assert serialized["config"] == json.loads(json.dumps(model.get_config()))
    with h5py.File(folder / "model.weights.h5") as f:
        assert "optimizer" not in f
        arrays = []
        f.visititems(
            lambda _, item: (
                arrays.append(item)
                if isinstance(item, h5py.Dataset) and item.size > 1
                else None
            )
        )
        # Every array is stored gzip-compressed (lossless, checked by the round
        # trip below).
        assert arrays and {a.compression for a in arrays} == {"gzip"}
    assert "compile_config" not in serialized
    # float32 variables (weights plus the code Gaussian) and a little HDF5 overhead.
    assert meta["weights_bytes"] < 4 * (meta["params"] + 8 * 9) + 64_000
    assert meta["sha256"] == zoo.sha256(folder / "model.weights.h5")
    assert meta["params"] == model.count_params()
    loaded = zoo.create_model("ae_mnist", pretrained=True)
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6)
    assert zoo.list_models(pretrained=True) == ["ae_mnist"]
    assert isinstance(Autoencoder.from_preset("ae_mnist"), Autoencoder)


def test_flipped_byte_in_weights_is_refused(tmp_zoo):
    model, _ = _trained_small()
    meta = model.save_to_preset(tmp_zoo / "ae_mnist")
    weights = tmp_zoo / "ae_mnist" / "model.weights.h5"
    blob = bytearray(weights.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    weights.write_bytes(bytes(blob))
    with pytest.raises(zoo.WeightsIntegrityError) as err:
        zoo.create_model("ae_mnist", pretrained=True)
    message = str(err.value)
    assert str(weights) in message
    assert meta["sha256"] in message
    assert zoo.sha256(weights) in message


def test_from_preset_checks_the_class(tmp_zoo):
    class Other(Autoencoder):
        pass

    with pytest.raises(TypeError, match="not a Other"):
        Other.from_preset("ae_mnist", pretrained=False)


def test_ae_mnist_is_shipped_with_weights():
    assert "ae_mnist" in zoo.list_models(pretrained=True)


@pytest.mark.parametrize("name", zoo.list_models(pretrained=True))
def test_shipped_preset_reproduces_its_card(name, mnist):
    meta = zoo.read_metadata(name)
    card = meta["metrics"]["values"]
    measured = evaluate_preset(name, limit=2000, data_dir=mnist)
    assert measured["examples"] == 2000
    for key, value in card.items():
        if key == "parzen_std_error":
            # std / sqrt(n): 2,000 test images against the card's 10,000.
            scaled = measured[key] * np.sqrt(2000 / 10000)
            assert scaled == pytest.approx(value, rel=0.2), key
        elif key == "loss" and meta["class"] == "Classifier":
            # Cross-entropy of a 99.5 % classifier: a few errors dominate a subset.
            assert measured[key] == pytest.approx(value, abs=0.01), key
        elif key in ("accuracy", "error", "nmi", "ari"):
            # Scores of a 2,000-image subset against the 10,000 the card used.
            assert measured[key] == pytest.approx(value, abs=0.04), key
        else:
            assert measured[key] == pytest.approx(value, rel=0.08), key
    readme = (zoo.preset_dir(name) / "README.md").read_text()
    assert f"keras-gen evaluate {name}" in readme
    assert f"{meta['sha256']}" in readme
    assert (zoo.preset_dir(name) / "samples.png").is_file()
