"""Presets whose recipes turn XLA on train with `jit_compile=True`."""

import pytest
import tensorflow as tf

from keras_gen import zoo

from . import harness

JIT = [n for n in zoo.list_models() if zoo.get_preset(n).recipe.get("jit_compile")]


def test_some_recipes_use_xla():
    assert JIT


@pytest.mark.parametrize("name", JIT)
def test_recipe_with_xla_trains(name):
    model = harness.small_model(name)
    harness.compile_model(model, jit_compile=True)
    x = harness.fake_batch(model, 32)
    data = tf.data.Dataset.from_tensor_slices(harness.fit_data(model, x)).batch(16)
    harness.assert_finite_history(model.fit(data, epochs=1, verbose=0))
