"""The compile options a model cannot run with, turned into ones it can, with a
warning that says why: XLA for a model whose step has an op without an XLA kernel,
several steps per execution under several replicas."""

import warnings

from .. import distribute


def adjusted(model, kwargs):
    """`Model.compile`'s keyword arguments `kwargs`, adjusted for `model`."""
    kwargs = dict(kwargs)
    name = type(model).__name__
    reason = model.jit_unsupported_reason
    if reason is not None:
        # Keras' "auto" would keep XLA off too (supports_jit); True is refused
        # with the reason rather than failing at the first step.
        model.supports_jit = False
        if kwargs.get("jit_compile") is True:
            warnings.warn(f"{name} keeps jit_compile off: {reason}.", stacklevel=3)
        kwargs["jit_compile"] = False
    spe = kwargs.get("steps_per_execution", 1)
    replicas = model.distribute_strategy.num_replicas_in_sync
    if replicas > 1 and isinstance(spe, int) and spe > 1:
        warnings.warn(
            f"{name} runs one step per execution under {replicas} replicas, not "
            f"steps_per_execution={spe}: {distribute.MULTI_STEP_UNSUPPORTED}.",
            stacklevel=3,
        )
        kwargs["steps_per_execution"] = 1
    return kwargs
