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
        history: The history of the epochs before this run (a resumed run).
        elapsed: Their training seconds.

    Example:
        >>> checkpoint = PresetCheckpoint("runs/ae_mnist", lambda h, s: {})
        >>> model.fit(train, epochs=3, callbacks=[checkpoint])
    """

    def __init__(self, folder, metadata, history=None, elapsed=0.0):
        super().__init__()
        self.folder = Path(folder)
        self.metadata = metadata
        # A resumed run continues the history and wall time of the stopped one.
        self.history = {int(k): v for k, v in (history or {}).items()}
        self.start = time.perf_counter() - float(elapsed)

    def elapsed(self):
        """Seconds of training (since the callback was made, plus a resumed run's
        earlier seconds)."""
        return time.perf_counter() - self.start

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        self.history[len(self.history) + 1] = logs
        self.model.save_to_preset(
            self.folder, self.metadata(self.history, self.elapsed())
        )


class WeightSnapshots(keras.callbacks.Callback):
    """Copies the model's weights to `folder/epoch_N.weights.h5` at chosen epochs
    (counted from 1), so that an epoch budget can be measured on one run.

    Args:
        folder: Where the copies go (created when the first is written).
        epochs: The epochs after which to copy.
    """

    def __init__(self, folder, epochs):
        super().__init__()
        self.folder = Path(folder)
        self.epochs = set(int(e) for e in epochs)

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 in self.epochs:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.model.save_weights(self.folder / f"epoch_{epoch + 1}.weights.h5")
