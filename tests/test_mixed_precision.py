"""Every registered architecture trains under `mixed_bfloat16` on the CPU, with
float32 losses and metrics and float32 outputs; `mixed_float16` gets loss scaling."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import distribute, zoo

from . import harness


@pytest.fixture
def policy(request):
    keras.mixed_precision.set_dtype_policy(request.param)
    yield request.param
    keras.mixed_precision.set_dtype_policy("float32")


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"], indirect=True)
@pytest.mark.parametrize("name", zoo.list_models())
def test_trains_and_answers_in_float32_under_mixed_precision(name, policy, monkeypatch):
    # Every optimized loss goes through distribute.average_loss: record its dtype.
    reduced = []
    average_loss = distribute.average_loss

    def recording(per_example_loss, *args, **kwargs):
        reduced.append(tf.convert_to_tensor(per_example_loss).dtype)
        return average_loss(per_example_loss, *args, **kwargs)

    monkeypatch.setattr(distribute, "average_loss", recording)
    model = harness.small_model(name)
    assert model.compute_dtype == policy.removeprefix("mixed_")
    harness.compile_model(model)
    if policy == "mixed_float16":
        # Loss scaling on every named optimizer (a GAN's two, an AAE's three).
        for opt in harness.optimizers_of(model):
            assert isinstance(opt, keras.optimizers.LossScaleOptimizer), opt
    x = harness.fake_batch(model, 32)
    data = harness.fit_data(model, x)
    history = model.fit(
        tf.data.Dataset.from_tensor_slices(data).batch(16), epochs=1, verbose=0
    )
    harness.assert_finite_history(history)
    assert reduced and set(reduced) == {tf.float32}, reduced
    for tracker in model.metrics:
        for variable in tracker.variables:
            assert variable.dtype == "float32", (tracker.name, variable.dtype)
    labels = harness.fake_labels(model, 4)
    outputs = {}
    if hasattr(model, "sample"):
        outputs["sample"] = (
            model.sample(4, labels=labels) if model.takes_labels else model.sample(4)
        )
    if hasattr(model, "reconstruct"):
        inputs = model.call_inputs(x[:4], labels)
        args = inputs if isinstance(inputs, tuple) else (inputs,)
        outputs["reconstruct"] = model.reconstruct(*args)
    if hasattr(model, "encode"):
        inputs = model.call_inputs(x[:4], labels)
        codes = model.encode(*(inputs if isinstance(inputs, tuple) else (inputs,)))
        # A distribution (VAE posteriors) answers with its mean; a SemiSupervisedAAE
        # gives (class probabilities, style).
        for i, code in enumerate(codes if isinstance(codes, tuple | list) else [codes]):
            outputs[f"encode[{i}]"] = code
    for verb, value in outputs.items():
        value = getattr(value, "mean", lambda v=value: v)()
        assert value.dtype == "float32", (verb, value.dtype)
        assert np.all(np.isfinite(value)), verb


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_every_named_optimizer_gets_loss_scaling_under_float16(policy):
    model = harness.small_model("gan_mnist")
    harness.compile_model(model)
    for name in model.optimizer_names:
        assert isinstance(getattr(model, name), keras.optimizers.LossScaleOptimizer)
