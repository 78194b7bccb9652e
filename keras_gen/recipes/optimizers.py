"""Optimizer configs that recipes share."""


def adam_cosine(
    initial_learning_rate, decay_steps, constant_steps=0, alpha=0.0, **adam
):
    """A recipe's Keras config of Adam with a cosine-decaying learning rate.

    The rate stays at `initial_learning_rate` for `constant_steps` optimizer steps
    (`CosineDecay`'s warm-up from the rate to itself), then falls on a cosine to
    `alpha` times it over `decay_steps`. `adam` holds other Adam arguments
    (e.g. `beta_1=0.5`).

    Args:
        initial_learning_rate: The rate before and at the start of the decay.
        decay_steps: Optimizer steps of the cosine.
        constant_steps: Optimizer steps at the initial rate before the decay.
        alpha: The final rate as a fraction of the initial one.
        **adam: Other `keras.optimizers.Adam` arguments.

    Returns:
        `{"class_name": "Adam", "config": ...}`, for
        `keras.optimizers.get` / `keras.saving.deserialize_keras_object`.
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
