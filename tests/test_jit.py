"""Every preset's train_step compiles with XLA (`jit_compile=True`), or the model
names why not and keeps it off."""

import numpy as np
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
    assert model.jit_unsupported_reason is None
    harness.compile_model(model, jit_compile=True)
    assert model.jit_compile is True  # not quietly turned off by compile
    x = harness.fake_batch(model, 32)
    data = tf.data.Dataset.from_tensor_slices(harness.fit_data(model, x)).batch(16)
    before = harness.weights_of(model)
    harness.assert_finite_history(model.fit(data, epochs=1, verbose=0))
    assert model.jit_compile is True  # nor by fit
    _assert_trained(before, model)


def _assert_trained(before, model):
    """The compiled step updated the weights (a step that ran but applied no
    gradient would pass a finite-history check)."""
    moved = [
        not np.array_equal(u, v)
        for u, v in zip(before, harness.weights_of(model), strict=True)
    ]
    assert any(moved), "no weight moved"


@pytest.mark.parametrize("name", sorted(set(zoo.list_models()) - set(JIT)))
def test_every_train_step_compiles_with_xla_or_says_why_not(name):
    model = harness.small_model(name)
    reason = model.jit_unsupported_reason
    if reason is None:
        harness.compile_model(model, jit_compile=True)
        assert model.jit_compile is True
    else:
        with pytest.warns(UserWarning, match="keeps jit_compile off: .*XLA"):
            harness.compile_model(model, jit_compile=True)
        assert model.jit_compile is False
    x = harness.fake_batch(model, 32)
    data = tf.data.Dataset.from_tensor_slices(harness.fit_data(model, x)).batch(16)
    before = harness.weights_of(model)
    harness.assert_finite_history(model.fit(data, epochs=1, verbose=0))
    _assert_trained(before, model)


def test_the_reason_is_real():
    # The augmentation's op has no XLA kernel: forced on, the step fails.
    model = harness.small_model("mnist_classifier")
    assert model.jit_unsupported_reason is not None
    harness.compile_model(model)
    model.supports_jit = True  # what compile turned off, so Keras' setter allows it
    model.jit_compile = True
    x = harness.fake_batch(model, 32)
    data = tf.data.Dataset.from_tensor_slices(harness.fit_data(model, x)).batch(16)
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="ImageProjectiveTransform"
    ):
        model.fit(data, epochs=1, verbose=0)
