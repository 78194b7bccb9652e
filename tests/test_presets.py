"""Preset folders: writing, verified loading, compression; no registry involved."""

import ast
import inspect
import json

import h5py
import keras
import numpy as np
import pytest

from keras_gen import VAE, Autoencoder, presets


def _trained_small(seed=3):
    model = Autoencoder(hidden_units=(32,), latent_dim=8, seed=seed)
    x = np.random.default_rng(seed).uniform(0, 1, (64, 28, 28, 1)).astype("float32")
    model.compile(keras.optimizers.Adam(1e-3))
    model.fit(x, epochs=1, batch_size=32, verbose=0)
    return model, x


def _arrays(path):
    found = []
    with h5py.File(path) as f:
        f.visititems(
            lambda name, item: (
                found.append((name, item.compression, item[()]))
                if isinstance(item, h5py.Dataset)
                else None
            )
        )
    return found


def test_saved_folder_round_trips_and_holds_only_model_variables(tmp_path):
    model, x = _trained_small()
    meta = presets.save_preset(model, tmp_path, {"dataset": "mnist"})
    serialized = json.loads((tmp_path / presets.CONFIG_FILE).read_text())
    assert serialized["config"] == json.loads(json.dumps(model.get_config()))
    assert "compile_config" not in serialized
    with h5py.File(tmp_path / presets.WEIGHTS_FILE) as f:
        assert "optimizer" not in f
    # Every array is stored gzip-compressed (lossless, checked by the round trip).
    arrays = [a for a in _arrays(tmp_path / presets.WEIGHTS_FILE) if a[2].size > 1]
    assert arrays and {compression for _, compression, _ in arrays} == {"gzip"}
    # float32 variables (weights plus the code Gaussian) and a little HDF5 overhead.
    assert meta["weights_bytes"] < 4 * (meta["params"] + 8 * 9) + 64_000
    assert meta["sha256"] == presets.sha256(tmp_path / presets.WEIGHTS_FILE)
    assert meta["params"] == presets.trainable_params(model) < model.count_params()
    assert meta["class"] == "Autoencoder" and meta["dataset"] == "mnist"
    assert presets.read_metadata_file(tmp_path) == meta
    loaded = presets.load_preset_folder(tmp_path)
    assert isinstance(loaded, Autoencoder)
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6)


def test_saving_again_keeps_earlier_metadata(tmp_path):
    model, _ = _trained_small()
    presets.save_preset(model, tmp_path, {"dataset": "mnist", "epochs_done": 1})
    meta = presets.save_preset(model, tmp_path, {"epochs_done": 2})
    assert meta["dataset"] == "mnist" and meta["epochs_done"] == 2


def test_flipped_byte_in_weights_is_refused(tmp_path):
    model, _ = _trained_small()
    meta = presets.save_preset(model, tmp_path)
    weights = tmp_path / presets.WEIGHTS_FILE
    blob = bytearray(weights.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    weights.write_bytes(bytes(blob))
    with pytest.raises(presets.WeightsIntegrityError) as err:
        presets.load_preset_folder(tmp_path, name="ae_mnist")
    message = str(err.value)
    assert str(weights) in message
    assert meta["sha256"] in message
    assert presets.sha256(weights) in message


def test_load_checks_the_expected_class(tmp_path):
    model, _ = _trained_small()
    presets.save_preset(model, tmp_path)
    with pytest.raises(TypeError, match="holds a Autoencoder, expected VAE"):
        presets.load_preset_folder(tmp_path, expected_class=VAE)


def test_compression_is_lossless(tmp_path):
    model, _ = _trained_small()
    model.save_weights(tmp_path / "plain.weights.h5")
    presets.compress_weights(tmp_path / "plain.weights.h5", tmp_path / "small.h5")
    plain = _arrays(tmp_path / "plain.weights.h5")
    small = _arrays(tmp_path / "small.h5")
    assert [name for name, *_ in plain] == [name for name, *_ in small]
    for (_, _, a), (_, _, b) in zip(plain, small, strict=True):
        np.testing.assert_array_equal(a, b)
    assert (tmp_path / "small.h5").stat().st_size < (
        tmp_path / "plain.weights.h5"
    ).stat().st_size


def test_presets_imports_no_keras_gen_module():
    tree = ast.parse(inspect.getsource(presets))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and not (node.module or "").startswith(
                "keras_gen"
            ), ast.unparse(node)
        elif isinstance(node, ast.Import):
            assert not any(a.name.startswith("keras_gen") for a in node.names)


def test_float16_storage_holds_exactly_the_rounded_weights(tmp_path):
    model, x = _trained_small()
    full = presets.save_preset(model, tmp_path / "full")
    before = [np.array(w) for w in model.get_weights()]
    presets.round_weights(model, "float16")
    rounded = model.get_weights()
    changed = [not np.array_equal(a, b) for a, b in zip(before, rounded, strict=True)]
    assert any(changed)  # rounding is lossy ...
    for a, b in zip(before, rounded, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)  # ... but small
    half = presets.save_preset(model, tmp_path / "half", weights_dtype="float16")
    assert half["weights_dtype"] == "float16" and full["weights_dtype"] == "float32"
    # half the array bytes; HDF5 overhead and gzip keep a small model above 1/2
    assert half["weights_bytes"] < 0.7 * full["weights_bytes"]
    stored = {a.dtype for _, _, a in _arrays(tmp_path / "half" / presets.WEIGHTS_FILE)}
    assert np.dtype("float16") in stored and np.dtype("float32") not in stored
    loaded = presets.load_preset_folder(tmp_path / "half")
    assert {v.dtype for v in loaded.weights} <= {"float32", "int64", "uint32", "int32"}
    # What the metrics were measured on is what loads: bit for bit.
    for a, b in zip(rounded, loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded(x), model(x))


def test_unknown_weights_dtype_is_refused(tmp_path):
    model, _ = _trained_small()
    with pytest.raises(ValueError, match=r"one of \(None, 'float16'\), got 'int8'"):
        presets.save_preset(model, tmp_path, weights_dtype="int8")
    with pytest.raises(ValueError, match="got 'bfloat16'"):
        presets.round_weights(model, "bfloat16")


def _folder(tmp_path):
    presets.save_preset(_trained_small()[0], tmp_path / "p", {"dataset": "mnist"})
    return tmp_path / "p"


def _edit_json(path, edit):
    value = json.loads(path.read_text())
    edit(value)
    path.write_text(json.dumps(value))


def _lambda_config(config):
    config["config"]["encoder"] = keras.saving.serialize_keras_object(
        keras.Sequential([keras.Input((784,)), keras.layers.Lambda(lambda t: t)])
    )


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: (p / "config.json").write_text("{not json"), "not a JSON config"),
        (lambda p: (p / "config.json").write_text("[1, 2]"), "must hold a JSON object"),
        (
            lambda p: _edit_json(p / "config.json", lambda c: c.pop("config")),
            'has no "config" object',
        ),
        (
            lambda p: _edit_json(p / "metadata.json", lambda m: m.pop("sha256")),
            "records no sha256",
        ),
        (
            lambda p: _edit_json(
                p / "config.json", lambda c: c["config"].update(latent_dim=-3)
            ),
            "config.json does not build a model",
        ),
        (
            lambda p: _edit_json(
                p / "config.json", lambda c: c.update(class_name="NoSuchModel")
            ),
            "names class 'NoSuchModel' but",
        ),
        # Keras' safe mode refuses the Lambda layer's code; the message says how to
        # opt in.
        (
            lambda p: _edit_json(p / "config.json", _lambda_config),
            "config.json does not build a model.*safe_mode=False",
        ),
        # Refused before anything is built (a 10**9-wide code would ask for TBs).
        (
            lambda p: _edit_json(
                p / "config.json", lambda c: c["config"].update(latent_dim=10**9)
            ),
            "latent_dim=1000000000 is implausibly large",
        ),
        (
            lambda p: _edit_json(
                p / "config.json", lambda c: c["config"].update(latent_dim="8")
            ),
            "config.json does not build a model",
        ),
        # Each size passes MAX_SIZE, their total would be gigabytes: refused with
        # the fields that make it up (see test_huge_totals_are_refused_unbuilt).
        (
            lambda p: _edit_json(
                p / "config.json", lambda c: c["config"].update(latent_dim=10**6)
            ),
            r"imply about [\d,]+ parameters.*bound of 268,435,456.*latent_dim",
        ),
        (
            lambda p: _edit_json(
                p / "config.json",
                lambda c: c["config"].update(hidden_units=[10**6, 10**6]),
            ),
            r"imply about [\d,]+ parameters.*hidden_units \(sizes adding to 2,0",
        ),
        (
            lambda p: _edit_json(
                p / "config.json", lambda c: c["config"].update(hidden_units=[-5, 100])
            ),
            "config.json does not build a model: hidden_units must be a positive",
        ),
        (lambda p: (p / "model.weights.h5").unlink(), "has no model.weights.h5"),
        (
            lambda p: (p / "model.weights.h5").write_bytes(
                (p / "model.weights.h5").read_bytes()[:1000]
            ),
            "sha256",
        ),
    ],
)
def test_a_damaged_folder_is_refused_naming_the_file(tmp_path, damage, message):
    folder = _folder(tmp_path)
    damage(folder)
    with pytest.raises(ValueError, match=message) as refused:
        presets.load_preset_folder(folder)
    assert str(folder) in str(refused.value)


@pytest.mark.parametrize(
    "edit, message",
    [
        ({"class_name": "NoSuchModel"}, "names class 'NoSuchModel' but"),
        ({"registered_name": "keras_gen>NoSuchModel"}, "which is no registered model"),
        ({"registered_name": "keras_gen>VAE"}, "'keras_gen>VAE' builds a VAE"),
        ({"registered_name": None}, "got 'Autoencoder' and None"),
        ({"class_name": 7}, "got 7 and 'keras_gen>Autoencoder'"),
    ],
)
def test_a_config_naming_no_registered_model_is_refused_unbuilt(
    tmp_path, monkeypatch, edit, message
):
    folder = _folder(tmp_path)
    _edit_json(folder / "config.json", lambda c: c.update(edit))

    def build(*args, **kwargs):
        raise AssertionError("a model was built from a refused config")

    monkeypatch.setattr(keras.saving, "deserialize_keras_object", build)
    with pytest.raises(ValueError, match=message) as refused:
        presets.load_preset_folder(folder, weights=False)
    assert str(folder / "config.json") in str(refused.value)


@pytest.mark.parametrize(
    "sizes",
    [
        {"latent_dim": 10**6},
        {"hidden_units": [10**6, 10**6]},
        {"hidden_units": [1] * 10**6},
    ],
)
def test_huge_totals_are_refused_unbuilt(tmp_path, monkeypatch, sizes):
    folder = _folder(tmp_path)
    _edit_json(folder / "config.json", lambda c: c["config"].update(sizes))

    def build(*args, **kwargs):
        raise AssertionError("a model was built from a refused config")

    # load_preset_folder builds only through Keras' deserialization: nothing is.
    monkeypatch.setattr(keras.saving, "deserialize_keras_object", build)
    with pytest.raises(ValueError, match="bound of 268,435,456") as refused:
        presets.load_preset_folder(folder)
    assert str(folder / "config.json") in str(refused.value)
    assert next(iter(sizes)) in str(refused.value)


def _shipped_configs():
    from keras_gen import zoo

    folders = sorted(zoo.zoo_dir().glob(f"*/{presets.CONFIG_FILE}"))
    assert len(folders) >= len(zoo.list_models(pretrained=True)) > 0
    shipped = {f.parent.name: json.loads(f.read_text())["config"] for f in folders}
    registered = {n: zoo.get_preset(n).config for n in zoo.list_models()}
    return shipped, registered


def test_no_shipped_or_registered_preset_comes_near_the_size_bound():
    for configs in _shipped_configs():
        for name, config in configs.items():
            presets._check_sizes(json.loads(json.dumps(config)), name)
            # At least 16 times below: the largest, dcn_mnist, is about 9 million.
            estimate, _ = presets._implied_params(json.loads(json.dumps(config)))
            assert estimate < presets.MAX_PARAMS / 16, name


def _lambda_model():
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Lambda(lambda t: 2 * t)(inputs)), (4,)


def _autoencoder_with_lambda():
    # keras_gen's from_config deserializes sub-networks itself: it must not get
    # around the safe mode of the load that called it.
    encoder = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(8),
            keras.layers.Lambda(lambda t: 2 * t),
        ]
    )
    model = Autoencoder(hidden_units=(16,), latent_dim=8, encoder=encoder, seed=0)
    return model, (28, 28, 1)


@pytest.mark.parametrize("make", [_lambda_model, _autoencoder_with_lambda])
def test_a_keras_file_with_a_lambda_loads_only_when_opted_in(tmp_path, make):
    # keras_gen has no loader of its own for `.keras` files (create_model takes a
    # preset name or folder): a user loads one with keras.saving.load_model.
    model, shape = make()
    x = np.random.default_rng(0).uniform(0, 1, (2, *shape))
    x = x.astype("float32")
    expected = keras.ops.convert_to_numpy(model(x))
    path = tmp_path / "lambda.keras"
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.saving.load_model(path)
    loaded = keras.saving.load_model(path, safe_mode=False)
    assert type(loaded) is type(model)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x)), expected)


def test_a_weights_file_that_is_not_hdf5_is_refused_even_with_its_hash(tmp_path):
    folder = _folder(tmp_path)
    (folder / "model.weights.h5").write_bytes(b"not an HDF5 file" * 64)
    digest = presets.sha256(folder / "model.weights.h5")
    _edit_json(folder / "metadata.json", lambda m: m.update(sha256=digest))
    with pytest.raises(ValueError, match="not a readable weights file"):
        presets.load_preset_folder(folder)


def test_another_architectures_weights_are_refused_naming_the_preset(tmp_path):
    # Weights of a different network, with their own (valid) hash recorded.
    folder = _folder(tmp_path)
    other = Autoencoder(hidden_units=(16, 16), latent_dim=4, seed=0)
    presets.save_preset(other, tmp_path / "other", {"dataset": "mnist"})
    (folder / "model.weights.h5").write_bytes(
        (tmp_path / "other" / "model.weights.h5").read_bytes()
    )
    _edit_json(
        folder / "metadata.json",
        lambda m: m.update(sha256=presets.sha256(folder / "model.weights.h5")),
    )
    with pytest.raises(ValueError, match="do not fit the model") as refused:
        presets.load_preset_folder(folder, name="tiny_ae")
    assert "tiny_ae" in str(refused.value)
