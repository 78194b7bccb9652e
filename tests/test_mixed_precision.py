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
            model.sample(4, labels=labels)
            if model.conditional_sampling
            else model.sample(4)
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


def _first_step_change(name, loss_scale):
    """Under mixed_float16 with every optimizer's loss scale set to `loss_scale`:
    each named optimizer's variables' change in one SGD step."""
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    try:
        keras.utils.set_random_seed(0)
        model = harness.small_model(name)
        model.compile(
            **{n: keras.optimizers.SGD(0.05) for n in model.optimizer_names},
            jit_compile=False,
        )
        model._build_optimizers()
        for opt in harness.optimizers_of(model):
            assert isinstance(opt, keras.optimizers.LossScaleOptimizer), opt
            opt.dynamic_scale.assign(float(loss_scale))
        groups = {n: model.optimizer_variables(n) for n in model.optimizer_names}
        before = {n: [v.numpy().copy() for v in vs] for n, vs in groups.items()}
        keras.utils.set_random_seed(1)
        x = harness.fake_batch(model, 16)
        data = tf.data.Dataset.from_tensor_slices(harness.fit_data(model, x))
        model.fit(data.batch(16), epochs=1, verbose=0)
        return {
            n: np.concatenate(
                [(v.numpy() - b).ravel() for v, b in zip(vs, before[n], strict=True)]
            )
            for n, vs in groups.items()
        }
    finally:
        keras.mixed_precision.set_dtype_policy("float32")


# One of each optimizer layout: one optimizer, a GAN's two, an AAE's three, the
# SSAAE's four, the semi-supervised GAN's pair.
@pytest.mark.parametrize(
    "name",
    [
        "vae_mnist",
        "gan_mnist",
        "aae_mnist",
        "ssaae_mnist_100labels",
        "ssgan_mnist_100labels",
    ],
)
def test_every_phase_scales_its_loss_under_float16(name):
    # With the loss scaled by s and the gradients unscaled by s, a step does not
    # depend on s. A phase that skipped `optimizer.scale_loss` would step 1/s as
    # far (SGD here, since Adam's step hides a gradient's scale). Scales 4 and 32
    # overflow no first-step gradient (the default 2**15 may, and then skips the
    # step and halves, as dynamic scaling should).
    small, large = _first_step_change(name, 4), _first_step_change(name, 32)
    for opt in small:
        size = np.linalg.norm(small[opt])
        assert size > 0, opt
        ratio = np.linalg.norm(large[opt]) / size
        assert 0.9 < ratio < 1.1, (opt, ratio)


def test_the_scale_check_fails_when_a_loss_is_not_scaled(monkeypatch):
    monkeypatch.setattr(
        keras.optimizers.LossScaleOptimizer, "scale_loss", lambda self, loss: loss
    )
    small, large = (
        _first_step_change("gan_mnist", 4),
        _first_step_change("gan_mnist", 32),
    )
    for opt in small:
        ratio = np.linalg.norm(large[opt]) / np.linalg.norm(small[opt])
        assert ratio < 0.5, (opt, ratio)  # the check above wants 0.9-1.1
