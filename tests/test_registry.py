"""Every registered preset goes through the shared harness, one test id per check."""

import keras
import pytest

from keras_gen import zoo

from . import harness

PRESETS = zoo.list_models()


def test_registry_is_not_empty():
    assert "ae_mnist" in PRESETS


@pytest.mark.parametrize("check", harness.CHECKS, ids=lambda c: c.__name__[6:])
@pytest.mark.parametrize("name", PRESETS)
def test_harness(name, check, tmp_path, two_replicas, monkeypatch):
    check(name, harness.Context(tmp_path, two_replicas, monkeypatch))


def test_every_architecture_has_a_preset_and_is_serializable():
    # Every model class the package exports (the bases aside) has a preset, so the
    # harness above runs it.
    from keras_gen import models

    with_presets = {zoo.get_preset(name).model_class for name in PRESETS}
    exported = [getattr(models, n) for n in models.__all__]
    classes = [
        c
        for c in exported
        if isinstance(c, type)
        and issubclass(c, keras.Model)
        and c is not models.GenerativeModel
    ]
    assert len(classes) >= 19
    # Every model class registered for deserialization is exported and covered too
    # (a class missing from __all__ would otherwise escape the harness).
    registered = {
        obj
        for key, obj in keras.saving.get_custom_objects().items()
        if key.startswith("keras_gen>")
        and isinstance(obj, type)
        and issubclass(obj, keras.Model)
    }
    assert registered - set(classes) == set(), registered - set(classes)
    for cls in classes:
        assert cls in with_presets, f"{cls.__name__} has no preset"
        registered = keras.saving.get_registered_name(cls)
        assert registered == f"keras_gen>{cls.__name__}"
        assert keras.saving.get_registered_object(registered) is cls
    # The harness's models rebuild from their serialized form.
    for name in harness.architectures().values():
        model = harness.small_model(name)
        clone = keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(model)
        )
        assert type(clone) is type(model)
        assert clone.get_config() == model.get_config()
