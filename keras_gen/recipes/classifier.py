"""The MNIST classifier whose features FID, IS and class fractions use."""

from .. import zoo
from ..models import Classifier

zoo.register_preset(
    "mnist_classifier",
    Classifier,
    config=dict(
        input_shape=(28, 28, 1),
        num_classes=10,
        filters=(32, 64),
        dense_units=128,
        dropout=0.3,
        max_shift=2,
        max_rotation=10.0,
        seed=0,
    ),
    description="MNIST CNN classifier (2x[conv-conv-pool], dense 128): the feature "
    "extractor of FID, IS and class fractions in keras_gen.metrics.",
    dataset="mnist",
    recipe=dict(
        epochs=8,
        batch_size=128,
        # Adam from 1e-3 down 10x over the 8 epochs of 469 steps: the last
        # epochs settle instead of jumping by a few tenths of a percent.
        optimizer={
            "class_name": "Adam",
            "config": {
                "learning_rate": {
                    "module": "keras.optimizers.schedules",
                    "class_name": "ExponentialDecay",
                    "config": {
                        "initial_learning_rate": 1e-3,
                        "decay_steps": 3752,
                        "decay_rate": 0.1,
                    },
                }
            },
        },
        supervised=True,
        supervised_metrics=True,
    ),
    test_overrides=dict(filters=(4,), dense_units=8),
)
