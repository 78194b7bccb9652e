"""Preset folders: writing, verified loading, sha256 and weight compression.

A preset folder (`zoo/<name>/`, or a training checkpoint) holds `config.json` (the
serialized model, whose `config` equals `get_config()`), `model.weights.h5` (model
variables only, Keras' format with lossless gzip compression of each array),
`metadata.json` (sha256 of the weights, parameter count, dataset, metrics and the
commands that measured them, training wall time) and, in the zoo, a `README.md`
model card. This module knows nothing of the registry (`keras_gen.zoo`) or of any
model class.
"""

import hashlib
import json
import math
import shutil
import tempfile
from pathlib import Path

import keras
import numpy as np

WEIGHTS_FILE = "model.weights.h5"
# Storage types of a preset's float32 variables: None keeps float32 (lossless).
WEIGHT_DTYPES = (None, "float16")
CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"


class WeightsIntegrityError(ValueError):
    """A weights file whose sha256 differs from the one its metadata records."""


def sha256(path):
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_weights(path, expected, name=None):
    """Raises `WeightsIntegrityError` unless the file's sha256 is `expected`
    (`name`: the preset's, for the message)."""
    actual = sha256(path)
    if actual != expected:
        of = f" of preset {name!r}" if name else ""
        raise WeightsIntegrityError(
            f"Weights file {path}{of} failed its integrity check: expected sha256 "
            f"{expected}, got {actual}. The file is corrupted or was replaced; "
            "restore it from the package or retrain with `keras-gen train`."
        )


def _check_dtype(dtype):
    if dtype not in WEIGHT_DTYPES:
        raise ValueError(
            f"weights dtype must be one of {WEIGHT_DTYPES}, got {dtype!r}."
        )


def compress_weights(src, dst, dtype=None):
    """Copies a Keras `.weights.h5` file with gzip (and byte-shuffle) compression.

    Lossless: the arrays, groups and attributes are the same, and
    `load_weights` reads the copy as it reads the original (h5py decompresses
    transparently). Float32 weights shrink by about 12 %. With `dtype`
    ("float16"), float32 arrays are stored in that type (half the bytes, lossy:
    see `round_weights`); `load_weights` casts them back to the variables' float32.
    """
    import h5py

    _check_dtype(dtype)

    with h5py.File(src, "r") as source, h5py.File(dst, "w") as target:
        target.attrs.update(source.attrs)

        def copy(name, item):
            if isinstance(item, h5py.Group):
                target.require_group(name).attrs.update(item.attrs)
                return
            options = {}
            if item.shape and item.size > 1:
                options = dict(compression="gzip", compression_opts=9, shuffle=True)
            array = item[()]
            if dtype is not None and array.dtype == np.float32:
                array = array.astype(dtype)
            target.create_dataset(name, data=array, **options)
            target[name].attrs.update(item.attrs)

        source.visititems(copy)


def round_weights(model, dtype):
    """Rounds every float32 variable of `model` to `dtype` ("float16") in place, so
    that metrics measured afterwards are those of the weights `save_preset` stores
    with `weights_dtype=dtype` (loading them back gives these values exactly)."""
    if dtype is None:
        return model
    _check_dtype(dtype)
    for variable in model.weights:
        if variable.dtype == "float32":
            value = keras.ops.convert_to_numpy(variable)
            variable.assign(value.astype(dtype).astype(np.float32))
    return model


def read_metadata_file(path):
    """The `metadata.json` of a preset folder as a dict ({} when there is none)."""
    meta_path = Path(path) / METADATA_FILE
    return json.loads(meta_path.read_text()) if meta_path.is_file() else {}


def load_preset_folder(
    path, overrides=None, expected_class=None, name=None, weights=True
):
    """Loads the model in a preset folder, its weights verified by sha256.

    Args:
        path: A folder written by `save_preset` (or a training checkpoint).
        overrides: Constructor arguments that replace the saved ones.
        expected_class: Raise `TypeError` unless the model is one of these.
        name: Preset name, for messages.
        weights: Load the weights (False: the architecture alone).

    Returns:
        The model (not compiled).

    Raises:
        WeightsIntegrityError: The weights' sha256 is not the recorded one.
        ValueError, TypeError: A missing or damaged file, or a config that names
            no registered model; with `name`, the message names the preset.
    """
    try:
        return _load_preset_folder(path, overrides, expected_class, name, weights)
    except (ValueError, TypeError) as err:
        if not name or repr(name) in str(err):
            raise
        # Every refusal names the file; a zoo preset's also names the preset (the
        # same exception type, so `WeightsIntegrityError` stays catchable).
        raise type(err)(f"Preset {name!r}: {err}") from err


def _load_preset_folder(path, overrides, expected_class, name, weights):
    path = Path(path)
    overrides = dict(overrides or {})
    for file in (CONFIG_FILE, METADATA_FILE) + ((WEIGHTS_FILE,) if weights else ()):
        if not (path / file).is_file():
            raise ValueError(
                f"{path} is not a preset folder: it has no {file} (keras-gen train "
                "writes config.json, model.weights.h5 and metadata.json)."
            )
    serialized, metadata = (
        _read_json(path / CONFIG_FILE, "config"),
        _read_json(path / METADATA_FILE, "metadata"),
    )
    if not isinstance(serialized.get("config"), dict):
        raise ValueError(
            f"{path / CONFIG_FILE} is not a Keras model config: it has no "
            '"config" object.'
        )
    serialized["config"] = serialized["config"] | overrides
    _check_sizes(serialized["config"], path / CONFIG_FILE)
    if weights:
        if not isinstance(metadata.get("sha256"), str):
            raise ValueError(
                f"{path / METADATA_FILE} records no sha256 of the weights, so they "
                "cannot be verified; load with pretrained=False, or train again."
            )
        verify_weights(path / WEIGHTS_FILE, metadata["sha256"], name)
    _check_class(serialized, path / CONFIG_FILE)
    try:
        model = keras.saving.deserialize_keras_object(serialized)
    except (ValueError, TypeError, KeyError) as err:
        raise ValueError(
            f"{path / CONFIG_FILE} does not build a model: {err}".splitlines()[0]
        ) from err
    if expected_class is not None and not isinstance(model, expected_class):
        raise TypeError(
            f"{path / CONFIG_FILE} holds a {type(model).__name__}, expected "
            f"{expected_class.__name__}."
        )
    if not weights:
        return model
    try:
        model.load_weights(path / WEIGHTS_FILE)
    except OSError as err:  # h5py: a file whose sha256 matched yet is not HDF5
        raise ValueError(
            f"{path / WEIGHTS_FILE} is not a readable weights file: {err}"
        ) from err
    except ValueError as err:
        # Keras lists every object it could not load; its first line about a
        # shape says what differs.
        lines = [line.strip() for line in str(err).splitlines() if line.strip()]
        fallback = lines[0] if lines else repr(err)
        detail = next((line for line in lines if "shape" in line), fallback)
        built = f"with overrides {overrides}" if overrides else "from its config.json"
        raise ValueError(
            f"The weights in {path / WEIGHTS_FILE} do not fit the model built "
            f"{built} (the weights of another architecture?): {detail}"
        ) from err
    return model


# No width, latent size or count of a model here comes near this; a larger one in a
# config is refused before anything is built (a latent size of 10**9 would ask for
# terabytes of weights).
MAX_SIZE = 2**20
# Sizes that each pass MAX_SIZE can still add up to gigabytes (`latent_dim=10**6`,
# `hidden_units=[10**6, 10**6]`), so their total is bounded too, by an estimate of
# the parameter count (see `_implied_params`): 2**28 parameters are 1 GiB of
# float32. The shipped presets estimate at most about 9 million (dcn_mnist),
# thirty times below the bound.
MAX_PARAMS = 2**28


def _check_class(serialized, file):
    """A `ValueError` unless the config names a registered model class by both its
    names, checked before Keras builds anything from the file."""
    class_name = serialized.get("class_name")
    registered = serialized.get("registered_name")
    if not isinstance(class_name, str) or not isinstance(registered, str):
        raise ValueError(
            f"{file} must name its model by a class_name and a registered_name "
            f"(strings), got {class_name!r} and {registered!r}: the file was edited "
            "or is not a keras_gen one."
        )
    cls = keras.saving.get_registered_object(registered)
    if not (isinstance(cls, type) and issubclass(cls, keras.Model)):
        raise ValueError(
            f"{file} names registered class {registered!r}, which is no registered "
            "model (expected a keras_gen architecture, keras_gen.zoo."
            "list_architectures(), or a model class registered with keras.saving."
            "register_keras_serializable): the file was edited or is not a "
            "keras_gen one."
        )
    if cls.__name__ != class_name:
        raise ValueError(
            f"{file} names class {class_name!r} but its registered name "
            f"{registered!r} builds a {cls.__name__}: expected the two to agree; the "
            "file was edited or is not a keras_gen one."
        )


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _sizes(value, key="config"):
    # (field, size, integers) for every integer of a config but seeds; a shape (a
    # list of integers and None under a key naming a shape) is one size, its element
    # count, made of its integers.
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _sizes(v, k)
    elif isinstance(value, list | tuple):
        if "shape" in str(key) and all(_is_int(v) or v is None for v in value):
            dims = [v for v in value if v is not None]
            yield key, math.prod(abs(v) for v in dims), dims
        else:
            for v in value:
                yield from _sizes(v, key)
    elif _is_int(value) and "seed" not in str(key):
        yield key, value, [value]


def _implied_params(config, sizes=None):
    """An estimate of the parameters a config builds, from its size fields alone.

    A dense chain from an input of `P` values through widths `w_1 ... w_n` has
    `P * w_1 + sum(w_i * w_(i+1))` weights, at most `(P + max w) * sum w`; the
    estimate is that with `P` the largest shape's element count and `w` every
    other integer of the config (widths, latent size, filters, counts; each
    counted as at least 1, so a long list of small widths is counted too).

    Args:
        config: The config.
        sizes: `list(_sizes(config))`, if the caller has walked it already.

    Returns:
        The estimate and `{field: sum of its sizes}`.
    """
    pixels, largest, fields = 1, 0, {}
    for key, size, _ in _sizes(config) if sizes is None else sizes:
        if "shape" in str(key):
            pixels = max(pixels, size)
        else:
            largest = max(largest, abs(size))
            fields[key] = fields.get(key, 0) + max(abs(size), 1)
    return (pixels + largest) * sum(fields.values()), fields


def _check_sizes(config, file):
    """Each integer at most MAX_SIZE, and their implied parameters at most
    MAX_PARAMS, from one walk of the config."""
    sizes = list(_sizes(config))
    for key, _, integers in sizes:
        for value in integers:
            if abs(value) > MAX_SIZE:
                raise ValueError(
                    f"{file}: {key}={value} is implausibly large (expected at most "
                    f"{MAX_SIZE:,}); the file was edited or is not a keras_gen one."
                )
    estimate, fields = _implied_params(config, sizes)
    if estimate > MAX_PARAMS:
        top = sorted(fields.items(), key=lambda item: -item[1])[:3]
        named = ", ".join(f"{k} (sizes adding to {v:,})" for k, v in top)
        raise ValueError(
            f"{file}: its sizes imply about {estimate:,} parameters, more than the "
            f"bound of {MAX_PARAMS:,} (1 GiB of float32); the largest fields: "
            f"{named}. The file was edited or is not a keras_gen one."
        )


def _read_json(path, what):
    try:
        value = json.loads(Path(path).read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path} is not a JSON {what} file: {err}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{path} must hold a JSON object, got {type(value).__name__}.")
    return value


def save_preset(model, path, metadata=None, weights_dtype=None):
    """Writes a model as a preset folder (see the module docstring).

    The weights are written from an uncompiled copy so the file holds the model's
    variables only, not optimizer slots. Metadata already in the folder is kept
    unless `metadata` replaces it.

    Args:
        model: The model to write.
        path: Folder to write into (created if missing).
        metadata: Extra metadata (dataset, metrics, training recipe, wall time).
        weights_dtype: None (float32, lossless) or "float16" (half the bytes;
            call `round_weights` first to measure what is stored).

    Returns:
        The metadata written.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    serialized = keras.saving.serialize_keras_object(model)
    # A preset is an uncompiled model: without this the copy below would be
    # compiled and its optimizer slots would land in the weights file.
    serialized.pop("compile_config", None)
    clone = keras.saving.deserialize_keras_object(serialized)
    clone.set_weights(model.get_weights())
    weights = path / WEIGHTS_FILE
    with tempfile.TemporaryDirectory() as tmp:
        tmp_file = Path(tmp) / WEIGHTS_FILE
        clone.save_weights(tmp_file)
        compressed = Path(tmp) / ("compressed" + WEIGHTS_FILE)
        compress_weights(tmp_file, compressed, weights_dtype)
        shutil.move(compressed, weights)
    (path / CONFIG_FILE).write_text(json.dumps(serialized, indent=2) + "\n")
    meta = read_metadata_file(path) | dict(metadata or {})
    meta |= {
        "class": type(model).__name__,
        "sha256": sha256(weights),
        "weights_bytes": weights.stat().st_size,
        "weights_dtype": weights_dtype or "float32",
        # Trainable parameters, as the cards have always counted them (Keras'
        # count_params also counts batch-norm statistics, averages, seeds).
        "params": trainable_params(model),
        "keras_version": keras.__version__,
    }
    (path / METADATA_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


def trainable_params(model):
    """The number of trainable parameters of a model."""
    return int(sum(math.prod(v.shape) for v in model.trainable_variables))
