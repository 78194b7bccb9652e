"""The model zoo: registered presets, created by name, with verified weights.

A preset is `<architecture>_<dataset>`: a model class and its constructor arguments,
registered in code (`keras_gen.recipes` registers the shipped ones when
`keras_gen` is imported). A preset with pretrained weights also has a folder
`zoo/<name>/` (see `keras_gen.presets` for its files). This module is the registry
only: it imports no model and no keras_gen module but `presets`.
"""

import dataclasses
import difflib
import fnmatch
import inspect
import os
import re
import warnings
from pathlib import Path

from . import presets


@dataclasses.dataclass(frozen=True)
class Preset:
    """A registered preset: a model class and how to build and train it.

    Attributes:
        name: `<architecture>_<dataset>`.
        model_class: The model class.
        config: Constructor arguments.
        description: One line for `list`/`info`.
        dataset: The dataset it is trained and evaluated on.
        recipe: Training recipe for `keras-gen train` (epochs, batch_size, ...).
        test_overrides: Constructor arguments that shrink it for the test harness.
        preset_args: Constructor arguments whose value may be another preset's
            name: `create_model` passes that preset's pretrained model instead.
    """

    name: str
    model_class: type
    config: dict
    description: str
    dataset: str
    recipe: dict
    test_overrides: dict
    preset_args: tuple = ()


_PRESETS = {}


def register_preset(
    name,
    model_class,
    config,
    description="",
    dataset="mnist",
    recipe=None,
    test_overrides=None,
    preset_args=(),
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
        preset_args: Constructor arguments whose string value names another
            preset, created pretrained and passed as a model (e.g. M1 + M2's
            `m1="vae_mnist"`).

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
        tuple(preset_args),
    )
    _PRESETS[name] = preset
    return preset


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
    return path if (path / presets.WEIGHTS_FILE).is_file() else None


def _unknown(kind, name, known, listing):
    close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    return ValueError(
        f"unknown {kind} {name!r}: {hint}(expected a name that `{listing}` lists, "
        "got one it does not)"
    )


def get_preset(name):
    """Returns the registered `Preset`; an unknown name raises a one-line
    `ValueError` naming the closest registered names (difflib)."""
    if name not in _PRESETS:
        raise _unknown("preset", name, sorted(_PRESETS), "keras-gen list")
    return _PRESETS[name]


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
    for name in sorted(_PRESETS):
        if not fnmatch.fnmatch(name, pattern):
            continue
        if pretrained is not None and (preset_dir(name) is not None) != pretrained:
            continue
        names.append(name)
    return names


def list_architectures():
    """The model classes that have at least one preset."""
    return sorted({p.model_class for p in _PRESETS.values()}, key=lambda c: c.__name__)


def first_presets():
    """`{architecture name: preset name}`: each architecture's first preset by name
    (what the test harness and `benchmarks/gpu_smoke.py` run once per family)."""
    first = {}
    for name in list_models():
        first.setdefault(_PRESETS[name].model_class, name)
    return {architecture_name(cls): name for cls, name in first.items()}


_CLI_NAMES = {"WGANGP": "wgan_gp"}


def architecture_name(model_class):
    """A model class's command-line name: its class name in lower case with
    underscores between words (`VAE` -> `vae`, `ConditionalGAN` ->
    `conditional_gan`, `SemiSupervisedAAE` -> `semi_supervised_aae`; `WGANGP`,
    whose words the rule cannot find, is `wgan_gp`)."""
    if model_class.__name__ in _CLI_NAMES:
        return _CLI_NAMES[model_class.__name__]
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", model_class.__name__)
    return re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name).lower()


def architecture_lines():
    """`name  ClassName` for every registered architecture (`keras-gen list
    --architectures`)."""
    return [f"{architecture_name(c):28s} {c.__name__}" for c in list_architectures()]


def get_architecture(name):
    """The registered model class named `name` (see `architecture_name`); an
    unknown name raises a one-line `ValueError` naming the closest ones."""
    classes = {architecture_name(c): c for c in list_architectures()}
    if name not in classes:
        raise _unknown(
            "architecture", name, sorted(classes), "keras-gen list --architectures"
        )
    return classes[name]


def read_metadata(name):
    """The preset's `metadata.json` as a dict ({} when it has no weights)."""
    path = preset_dir(name)
    return {} if path is None else presets.read_metadata_file(path)


def _resolve_preset_args(preset, kwargs):
    # A preset name given for a model argument becomes that preset's trained model.
    kwargs = dict(kwargs)
    for key in preset.preset_args:
        if isinstance(kwargs.get(key), str):
            kwargs[key] = create_model(kwargs[key], pretrained=True)
    return kwargs


def is_preset_folder(name):
    """Whether `name` is the path of a preset folder rather than a preset name."""
    if name in _PRESETS:
        return False
    path = Path(name)
    return (
        (path / presets.CONFIG_FILE).is_file()
        or (isinstance(name, Path) or os.sep in str(name))
        and path.is_dir()
    )


def create_model(name, pretrained=None, **overrides):
    """Creates a preset by name.

    Args:
        name: A name from `list_models()`, or the path of a preset folder
            (what `keras-gen train` writes: `config.json`, `model.weights.h5`,
            `metadata.json`).
        pretrained: Load the weights (verified by sha256). Default: a preset
            name's are not loaded, a folder's are.
        **overrides: Constructor arguments that replace the preset's. With
            `pretrained=True` they may not change the architecture (an argument
            in `model_class.architecture_arguments()`, or a sub-network), since
            the weights belong to the preset's.

    Returns:
        The model (not compiled).

    Raises:
        ValueError: A pretrained model with an override of its architecture.

    Example:
        >>> model = keras_gen.zoo.create_model("ae_mnist", pretrained=True)
        >>> mine = keras_gen.zoo.create_model("runs/dcgan")
    """
    if not isinstance(name, str | os.PathLike):
        raise TypeError(
            f"create_model takes a preset name or a preset folder's path, got "
            f"{type(name).__name__} {name!r}."
        )
    if is_preset_folder(name):
        weights = pretrained is None or bool(pretrained)
        return presets.load_preset_folder(name, overrides, weights=weights)
    preset = get_preset(name)
    if not pretrained:
        try:
            return preset.model_class(
                **_resolve_preset_args(preset, preset.config | overrides)
            )
        except (TypeError, ValueError) as err:  # Keras' own message names no choice
            # Python ("unexpected keyword argument 'x'") and Keras ("Unrecognized
            # keyword arguments passed to VAE: {'x': 1}") both quote the name; a
            # range check of a known argument says no "keyword argument".
            unknown = sorted(k for k in overrides if f"'{k}'" in str(err))
            if "keyword argument" not in str(err) or not unknown:
                raise
            cls = preset.model_class
            params = inspect.signature(cls.__init__).parameters.values()
            varying = (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
            known = sorted(
                p.name for p in params if p.kind not in varying and p.name != "self"
            )
            raise TypeError(
                f"create_model({name!r}) got unknown arguments "
                f"{', '.join(unknown)}; {cls.__name__} expected some of: "
                f"{', '.join(known)}."
            ) from None
    cls = preset.model_class
    architecture = set(getattr(cls, "architecture_arguments", tuple)())
    architecture |= set(getattr(cls, "sub_models", ()))
    fixed = sorted(key for key in overrides if key in architecture)
    if fixed:
        raise ValueError(
            f"create_model({name!r}, pretrained=True) cannot override "
            f"{', '.join(fixed)}: the pretrained weights of {name!r} belong to the "
            "preset's architecture. To change the architecture, create the model "
            f"without pretrained=True (create_model({name!r}, "
            f"{', '.join(f'{k}=...' for k in fixed)})) and train it."
        )
    path = preset_dir(name)
    if path is None and (zoo_dir() / name).is_dir():
        raise ValueError(
            f"Preset {name!r} has no pretrained weights: "
            f"{zoo_dir() / name / presets.WEIGHTS_FILE} is missing (expected the "
            "file keras-gen train writes beside config.json)."
        )
    if path is None:
        have = ", ".join(list_models(pretrained=True)) or "none"
        raise ValueError(
            f"Preset {name!r} has no pretrained weights in {zoo_dir()}. "
            f"Presets with weights: {have}."
        )
    return presets.load_preset_folder(
        path, _resolve_preset_args(preset, overrides), preset.model_class, name
    )


# Names that moved out of the registry, kept for one release.
_MOVED_TO_PRESETS = (
    "CONFIG_FILE",
    "METADATA_FILE",
    "WEIGHTS_FILE",
    "WeightsIntegrityError",
    "compress_weights",
    "load_preset_folder",
    "save_preset",
    "sha256",
    "verify_weights",
)


def __getattr__(name):
    if name in _MOVED_TO_PRESETS:
        new = f"keras_gen.presets.{name}"
        value = getattr(presets, name)
    elif name == "adam_cosine":
        # Deprecated alias: recipes imports this module, so it is imported late.
        from . import recipes

        new = "keras_gen.recipes.adam_cosine"
        value = recipes.adam_cosine
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"keras_gen.zoo.{name} is deprecated; use {new}.",
        DeprecationWarning,
        stacklevel=2,
    )
    return value


def __dir__():
    return sorted(list(globals()) + list(_MOVED_TO_PRESETS) + ["adam_cosine"])
