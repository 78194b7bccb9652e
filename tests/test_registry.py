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
    for cls in zoo.list_architectures():
        registered = keras.saving.get_registered_name(cls)
        assert registered == f"keras_gen>{cls.__name__}"
