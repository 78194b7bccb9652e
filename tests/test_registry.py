"""Every registered preset goes through the shared harness."""

import pytest

from keras_gen import zoo

from . import harness

PRESETS = zoo.list_models()


def test_registry_is_not_empty():
    assert "ae_mnist" in PRESETS


@pytest.mark.parametrize("name", PRESETS)
def test_preset_passes_harness(name, tmp_path, two_replicas):
    harness.run_all(name, tmp_path, two_replicas)


def test_every_architecture_has_a_preset_and_is_serializable():
    import keras

    for cls in zoo.list_architectures():
        registered = keras.saving.get_registered_name(cls)
        assert registered == f"keras_gen>{cls.__name__}"
