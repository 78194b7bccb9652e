"""The model zoo: registered presets, created by name, with verified weights.

A preset is `<architecture>_<dataset>`: a model class and its constructor arguments,
registered in code. A preset with pretrained weights also has a folder
`zoo/<name>/` holding `config.json` (the serialized model, whose `config` equals
`get_config()`), `model.weights.h5` (model variables only, Keras' format with
lossless gzip compression of each array), `metadata.json` (sha256
of the weights, parameter count, dataset, metrics and the commands that measured
them, training wall time) and a `README.md` model card.
"""

import dataclasses
import fnmatch
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import keras

WEIGHTS_FILE = "model.weights.h5"
CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"


class WeightsIntegrityError(ValueError):
    """A weights file whose sha256 differs from the one its metadata records."""


@dataclasses.dataclass(frozen=True)
class Preset:
    """A registered preset: a model class and how to build and train it."""

    name: str
    model_class: type
    config: dict
    description: str
    dataset: str
    recipe: dict
    test_overrides: dict


_PRESETS = {}


def register_preset(
    name,
    model_class,
    config,
    description="",
    dataset="mnist",
    recipe=None,
    test_overrides=None,
):
    """Registers a preset.

    Args:
        name: `<architecture>_<dataset>`, e.g. `"ae_mnist"`.
        model_class: The `GenerativeModel` subclass.
        config: Constructor arguments.
        description: One line for `list`/`info`.
        dataset: The dataset it is trained and evaluated on.
        recipe: Training recipe for `keras-gen train` (epochs, batch_size, ...).
        test_overrides: Constructor arguments that shrink it for the test harness.

    Returns:
        The `Preset`.
    """
    if name in _PRESETS and _PRESETS[name].model_class is not model_class:
        raise ValueError(f"Preset {name!r} is already registered.")
    preset = Preset(
        name,
        model_class,
        dict(config),
        description,
        dataset,
        dict(recipe or {}),
        dict(test_overrides or {}),
    )
    _PRESETS[name] = preset
    return preset


def adam_cosine(
    initial_learning_rate, decay_steps, constant_steps=0, alpha=0.0, **adam
):
    """A recipe's Keras config of Adam with a cosine-decaying learning rate.

    The rate stays at `initial_learning_rate` for `constant_steps` optimizer steps
    (`CosineDecay`'s warm-up from the rate to itself), then falls on a cosine to
    `alpha` times it over `decay_steps`. `adam` holds other Adam arguments
    (e.g. `beta_1=0.5`).
    """
    schedule = {
        "initial_learning_rate": initial_learning_rate,
        "decay_steps": decay_steps,
        "alpha": alpha,
    }
    if constant_steps:
        schedule |= {
            "warmup_target": initial_learning_rate,
            "warmup_steps": constant_steps,
        }
    learning_rate = {
        "module": "keras.optimizers.schedules",
        "class_name": "CosineDecay",
        "config": schedule,
    }
    return {"class_name": "Adam", "config": adam | {"learning_rate": learning_rate}}


def _registry():
    # Importing the models registers their presets.
    from . import models  # noqa: F401

    return _PRESETS


def zoo_dir():
    """The folder holding preset folders.

    `KERAS_GEN_ZOO` if set; else the copy inside an installed package; else the
    source checkout's `zoo/`.
    """
    if os.environ.get("KERAS_GEN_ZOO"):
        return Path(os.environ["KERAS_GEN_ZOO"])
    here = Path(__file__).resolve().parent
    for candidate in (here / "_zoo", here.parent / "zoo"):
        if candidate.is_dir():
            return candidate
    return here.parent / "zoo"


def preset_dir(name):
    """The folder of a preset's pretrained files, or None if it has none."""
    path = zoo_dir() / name
    return path if (path / WEIGHTS_FILE).is_file() else None


def get_preset(name):
    """Returns the registered `Preset`, with a clear error for unknown names."""
    registry = _registry()
    if name not in registry:
        raise ValueError(
            f"Unknown preset {name!r}. Known presets: {', '.join(sorted(registry))}."
        )
    return registry[name]


def list_models(pattern="*", pretrained=None):
    """Names of registered presets matching an fnmatch `pattern`.

    Args:
        pattern: e.g. `"vae*"`.
        pretrained: `True` only presets with weights, `False` only without,
            `None` all.

    Returns:
        Sorted list of names.
    """
    names = []
    for name in sorted(_registry()):
        if not fnmatch.fnmatch(name, pattern):
            continue
        if pretrained is not None and (preset_dir(name) is not None) != pretrained:
            continue
        names.append(name)
    return names


def list_architectures():
    """The model classes that have at least one preset."""
    return sorted(
        {p.model_class for p in _registry().values()}, key=lambda c: c.__name__
    )


def sha256(path):
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def compress_weights(src, dst):
    """Copies a Keras `.weights.h5` file with gzip (and byte-shuffle) compression.

    Lossless: the arrays, groups and attributes are the same, and
    `load_weights` reads the copy as it reads the original (h5py decompresses
    transparently). Float32 weights shrink by about 12 %.
    """
    import h5py

    with h5py.File(src, "r") as source, h5py.File(dst, "w") as target:
        target.attrs.update(source.attrs)

        def copy(name, item):
            if isinstance(item, h5py.Group):
                target.require_group(name).attrs.update(item.attrs)
                return
            options = {}
            if item.shape and item.size > 1:
                options = dict(compression="gzip", compression_opts=9, shuffle=True)
            target.create_dataset(name, data=item[()], **options)
            target[name].attrs.update(item.attrs)

        source.visititems(copy)


def verify_weights(path, expected):
    """Raises `WeightsIntegrityError` unless the file's sha256 is `expected`."""
    actual = sha256(path)
    if actual != expected:
        raise WeightsIntegrityError(
            f"Weights file {path} failed its integrity check: expected sha256 "
            f"{expected}, got {actual}. The file is corrupted or was replaced; "
            "restore it from the package or retrain with `keras-gen train`."
        )


def read_metadata(name):
    """The preset's `metadata.json` as a dict ({} when it has no weights)."""
    path = preset_dir(name)
    if path is None:
        return {}
    return json.loads((path / METADATA_FILE).read_text())


def create_model(name, pretrained=False, **overrides):
    """Creates a preset by name.

    Args:
        name: A name from `list_models()`.
        pretrained: Load the preset's weights (verified by sha256).
        **overrides: Constructor arguments that replace the preset's.

    Returns:
        The model (not compiled).

    Example:
        >>> model = keras_gen.zoo.create_model("ae_mnist", pretrained=True)
    """
    preset = get_preset(name)
    if not pretrained:
        return preset.model_class(**(preset.config | overrides))
    path = preset_dir(name)
    if path is None:
        have = ", ".join(list_models(pretrained=True)) or "none"
        raise ValueError(
            f"Preset {name!r} has no pretrained weights in {zoo_dir()}. "
            f"Presets with weights: {have}."
        )
    return load_preset_folder(path, overrides, preset.model_class, name)


def load_preset_folder(path, overrides=None, expected_class=None, name=None):
    """Loads the model in a preset folder, its weights verified by sha256.

    Args:
        path: A folder written by `save_preset` (or a training checkpoint).
        overrides: Constructor arguments that replace the saved ones.
        expected_class: Raise `TypeError` unless the model is one of these.
        name: Preset name, for messages.

    Returns:
        The model (not compiled).
    """
    path = Path(path)
    overrides = dict(overrides or {})
    serialized = json.loads((path / CONFIG_FILE).read_text())
    serialized["config"] = serialized["config"] | overrides
    metadata = json.loads((path / METADATA_FILE).read_text())
    verify_weights(path / WEIGHTS_FILE, metadata["sha256"])
    model = keras.saving.deserialize_keras_object(serialized)
    if expected_class is not None and not isinstance(model, expected_class):
        raise TypeError(
            f"{path / CONFIG_FILE} holds a {type(model).__name__}, expected "
            f"{expected_class.__name__}."
        )
    try:
        model.load_weights(path / WEIGHTS_FILE)
    except ValueError as err:
        raise ValueError(
            f"The weights of {name or str(path)!r} do not fit the model built with "
            f"overrides {overrides}: {err}"
        ) from err
    return model


def save_preset(model, path, metadata=None):
    """Writes a model as a preset folder (see the module docstring).

    The weights are written from an uncompiled copy so the file holds the model's
    variables only, not optimizer slots.

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
        compress_weights(tmp_file, compressed)
        shutil.move(compressed, weights)
    (path / CONFIG_FILE).write_text(json.dumps(serialized, indent=2) + "\n")
    meta_path = path / METADATA_FILE
    old = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    meta = old | dict(metadata or {})
    meta |= {
        "class": type(model).__name__,
        "sha256": sha256(weights),
        "weights_bytes": weights.stat().st_size,
        "params": model.count_params(),
        "keras_version": keras.__version__,
    }
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta
