"""Training stops at the first non-finite logged value.

Keras' `TerminateOnNaN` reads only `logs["loss"]`, which a model with several
named losses (a GAN's `d_loss` and `g_loss`, a VAE's `kl`, ...) does not log, so
a diverged GAN would train on through every batch. `StopOnNonFinite` reads every
value and raises before the callbacks after it (the preset checkpoint, Keras'
`BackupAndRestore`) run, so the last good checkpoint stays as it was.
`keras_gen.models.Model.fit` puts one first in every `fit`'s callbacks.
"""

import math

import keras
import numpy as np


class NonFiniteLossError(FloatingPointError):
    """A tracked loss or metric became NaN or infinite during `fit`."""


class StopOnNonFinite(keras.callbacks.Callback):
    """Raises `NonFiniteLossError` naming the epoch, the batch and the values as
    soon as any logged training (or validation) value is NaN or infinite.

    The metric trackers are running means over the epoch, so one non-finite step
    keeps its value non-finite until the epoch ends: the check sees it even when
    `steps_per_execution` logs only every few steps. Must come first among the
    callbacks to protect the checkpoints written after it at the epoch's end.
    """

    def __init__(self):
        super().__init__()
        self.epoch = 0
        self.steps = 0  # training steps done, this fit's and (resumed) before it
        self._last = -1  # the last batch index Keras reported in this epoch
        self._offset = 0  # batches of the epoch done before this fit (a resume)

    def resume_at(self, batch, steps):
        """Counts from a resumed position: `batch` batches of the first epoch and
        `steps` training steps in all were done before this fit."""
        self._offset, self.steps = int(batch), int(steps)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self._last = -1

    def on_train_batch_end(self, batch, logs=None):
        # With steps_per_execution > 1 Keras reports once per compiled call, with
        # the index of its last step: the values cover steps first..last.
        first, last = self._last + 2 + self._offset, batch + 1 + self._offset
        self.steps += batch - self._last
        self._last = batch
        if first == last:
            where = f"epoch {self.epoch + 1}, batch {last} (training step {self.steps})"
        else:
            where = (
                f"epoch {self.epoch + 1}, batches {first}-{last} of one compiled call "
                f"(training steps {self.steps - last + first}-{self.steps})"
            )
        self._check(logs, where)

    def on_epoch_end(self, epoch, logs=None):
        self._offset = 0
        self._check(logs, f"the end of epoch {epoch + 1}")

    def _check(self, logs, where):
        bad = {}
        for key, value in (logs or {}).items():
            value = np.asarray(value)
            if value.size == 1 and not math.isfinite(float(value)):
                bad[key] = float(value)
        if bad:
            values = ", ".join(f"{k}={v}" for k, v in sorted(bad.items()))
            raise NonFiniteLossError(
                f"training stopped: non-finite {values} at {where}; checkpoints "
                "saved before it are kept and none is saved from it. Lower the "
                "learning rate, check the data, or resume from the last checkpoint."
            )


def with_guard(callbacks):
    """`callbacks` with a `StopOnNonFinite` first, unless it already holds one."""
    callbacks = list(callbacks or [])
    if any(isinstance(c, StopOnNonFinite) for c in callbacks):
        return callbacks
    return [StopOnNonFinite(), *callbacks]
