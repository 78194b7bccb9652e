"""Training callbacks: the preset folder written after every epoch."""

import time
from pathlib import Path

import keras


class PresetCheckpoint(keras.callbacks.Callback):
    """Writes the model's preset folder (weights and training metadata) every epoch.

    Epochs are counted across several `fit` calls (pretraining, then rounds of a
    schedule), so `history` numbers them 1, 2, ... in order. The metadata so far
    goes with the weights, so `keras_gen.training.finish_preset` can measure a
    checkpoint.

    Args:
        folder: The preset folder (created if missing).
        metadata: `metadata(history, wall_seconds)`, the training metadata to write
            beside the weights.

    Example:
        >>> checkpoint = PresetCheckpoint("runs/ae_mnist", lambda h, s: {})
        >>> model.fit(train, epochs=3, callbacks=[checkpoint])
    """

    def __init__(self, folder, metadata):
        super().__init__()
        self.folder = Path(folder)
        self.metadata = metadata
        self.history = {}
        self.start = time.perf_counter()

    def elapsed(self):
        """Seconds since the callback was made (training starts right after)."""
        return time.perf_counter() - self.start

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        self.history[len(self.history) + 1] = logs
        self.model.save_to_preset(
            self.folder, self.metadata(self.history, self.elapsed())
        )
