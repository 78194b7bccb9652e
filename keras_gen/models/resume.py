"""A training run that is killed mid-epoch resumes where it was, bit for bit.

`TrainingCheckpoint` writes the whole training state every few steps: every variable
of the model (all sub-networks, moving averages, historical averages, batch-norm
statistics, the KL weight, every `SeedGenerator`'s state) and of every named
optimizer (slots and step counters), with the position in the data (epoch and batch).
`Model.fit` given one with a saved state restores it and goes on from the next batch
of the same epoch: the data of a resumed run is the same `tf.data.Dataset` replayed
(a fresh dataset built with the same seeds iterates in the same orders, so its
iterations `0, 1, ...` are the epochs) and skipped to the position. With op
determinism on and fixed seeds, the final weights equal those of a run that was
never stopped.

We write this rather than use Keras' `BackupAndRestore` because, read in Keras 3's
source and tried here, that callback builds only `model.optimizer` before loading
(the state of our other optimizers is skipped while unbuilt) and, with an integer
`save_freq`, restarts the interrupted epoch from its first batch on top of the
mid-epoch weights.
"""

import json
import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .. import distribute
from . import guard

STATE_FILE = "state.npz"
INFO_FILE = "training_metadata.json"


def state_variables(model):
    """Every variable a resumed run needs, in a fixed order: the model's (its
    sub-networks, averages, seed generators) then each named optimizer's."""
    seen, out = set(), []
    groups = [model.variables]
    for name in getattr(model, "optimizer_names", ("optimizer",)):
        opt = getattr(model, name, None)
        if opt is not None:
            groups.append(opt.variables)
    for group in groups:
        for v in group:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
    return out


class TrainingCheckpoint(keras.callbacks.Callback):
    """Saves the training state every `every_steps` steps and at every epoch's end,
    so that a killed `fit` resumes inside the epoch.

    Pass it to a keras_gen model's `fit`: when `folder` holds a state (and `resume`
    is true), `fit` loads it and trains only what is left, from the next batch. The
    state file is replaced atomically, so a kill while writing leaves the previous
    one. The training data must be a `tf.data.Dataset` that is the same when built
    again (seeded shuffles and seeded random maps, as every `keras_gen.data` loader
    builds it); with arrays, `fit` resumes at the start of the stopped epoch.

    Args:
        folder: Where the state goes (created when first written).
        every_steps: Steps between saves (rounded up to `steps_per_execution`).
        resume: Load a state found in `folder` at the start of `fit`.

    Example:
        >>> ckpt = keras_gen.callbacks.TrainingCheckpoint("runs/gan/state", 200)
        >>> model.fit(ds, epochs=20, callbacks=[ckpt])   # killed, then run again:
        >>> model.fit(ds, epochs=20, callbacks=[ckpt])   # goes on from step 200k
    """

    def __init__(self, folder, every_steps=200, resume=True):
        super().__init__()
        if isinstance(every_steps, bool) or int(every_steps) != every_steps:
            raise TypeError(f"every_steps must be an integer, got {every_steps!r}.")
        if every_steps < 1:
            raise ValueError(f"every_steps must be >= 1, got {every_steps}.")
        self.folder = Path(folder)
        self.every_steps = int(every_steps)
        self.resume = bool(resume)
        self.epoch = 0
        self.steps_per_epoch = None
        self._since = 0
        self._last_batch = -1

    @property
    def path(self):
        return self.folder / STATE_FILE

    def saved_position(self):
        """`(epoch, batch, steps_per_epoch)` of the saved state, or None."""
        if not self.path.exists():
            return None
        with np.load(self.path) as saved:
            return tuple(int(v) for v in saved["__position__"])

    replay = None  # the `Replay` of the data, set by `fit`

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self._last_batch = -1
        if self.replay is not None:
            self.replay.start_epoch(epoch, self._offset)

    def on_train_batch_end(self, batch, logs=None):
        self._since += batch - self._last_batch
        self._last_batch = batch
        if self._since >= self.every_steps:
            self._since = 0
            self.save(self.epoch, batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        if self.replay is not None:
            self.replay.end_epoch()
        if self.steps_per_epoch is None:
            self.steps_per_epoch = self._offset + self._last_batch + 1
        self._offset = 0
        self.save(epoch + 1, 0)

    # The first epoch of a resumed fit starts at batch `_offset` of its epoch.
    _offset = 0

    def save(self, epoch, batch):
        """Writes the state at `(epoch, batch)` (batch: batches done in it)."""
        variables = state_variables(self.model)
        arrays = {
            f"v{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(variables)
        }
        if not distribute.is_chief():  # several workers: only the chief writes
            return
        batch = batch + (self._offset if epoch == self.epoch else 0)
        steps = -1 if self.steps_per_epoch is None else self.steps_per_epoch
        arrays["__position__"] = np.array([epoch, batch, steps], np.int64)
        arrays["__paths__"] = np.array([v.path for v in variables])
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / (STATE_FILE + ".tmp")
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        info = {"epoch": int(epoch), "batch": int(batch), "steps_per_epoch": steps}
        # Atomic too: a reader polling the position never sees a half-written file.
        tmp = self.folder / (INFO_FILE + ".tmp")
        tmp.write_text(json.dumps(info))
        os.replace(tmp, self.folder / INFO_FILE)

    def restore(self, model):
        """Loads the saved state into `model`; returns `(epoch, batch,
        steps_per_epoch)`. Refuses a state of another architecture."""
        if hasattr(model, "_build_optimizers"):
            model._build_optimizers()  # their slots exist before they are loaded
        variables = state_variables(model)
        with np.load(self.path) as saved:
            paths = [str(p) for p in saved["__paths__"]]
            mine = [v.path for v in variables]
            if len(paths) != len(mine):
                raise ValueError(
                    f"{self.path} holds {len(paths)} variables, but this "
                    f"{type(model).__name__} and its optimizers have {len(mine)}: "
                    "it is the state of another model or recipe."
                )
            for i, v in enumerate(variables):
                value = saved[f"v{i}"]
                if tuple(value.shape) != tuple(v.shape):
                    raise ValueError(
                        f"{self.path}: variable {paths[i]} has shape "
                        f"{tuple(value.shape)}, but {mine[i]} here has "
                        f"{tuple(v.shape)}: the state of another architecture."
                    )
            for i, v in enumerate(variables):
                v.assign(saved[f"v{i}"])
            epoch, batch, steps = (int(p) for p in saved["__position__"])
        self.steps_per_epoch = None if steps < 0 else steps
        return epoch, batch, self.steps_per_epoch


def fit(model, keras_fit, x, kwargs):
    """`keras_fit(x, **kwargs)`, through `checkpointed_fit` when the callbacks hold
    a `TrainingCheckpoint` (at most one)."""
    found = [
        c for c in kwargs.get("callbacks") or () if isinstance(c, TrainingCheckpoint)
    ]
    if len(found) > 1:
        raise ValueError(f"give fit at most one TrainingCheckpoint, got {len(found)}.")
    if not found:
        return keras_fit(x, **kwargs)
    return checkpointed_fit(model, keras_fit, found[0], x, kwargs)


class Replay:
    """The training data of a checkpointed `fit`, replayable from any batch.

    A `tf.data` dataset with seeded shuffles and random maps draws its order and
    noise from seed generators that advance once per iteration, so epoch `e` is the
    dataset's iteration `e` (counting every iteration, a peek at the first batch
    included). Keras and our input checks peek before training; the datasets
    `dataset(steps)` makes answer those peeks from a stored first batch without
    iterating `x`, and iterate `x` only inside an epoch (`start_epoch` ...
    `end_epoch`, called by the checkpoint). A resumed run iterates `x` through the
    epochs already done (`start_epoch` does it) and skips the batches done in the
    stopped one, so it sees what the stopped run would have seen.
    """

    def __init__(self, x):
        steps = int(x.cardinality())
        if steps == tf.data.INFINITE_CARDINALITY:
            raise ValueError(
                "TrainingCheckpoint needs a finite dataset (one epoch of batches); "
                "got an infinite one (.repeat()). Drop the repeat and pass epochs."
            )
        self.x = x
        self.first = next(iter(x))  # every run of a checkpointed fit peeks once
        self.steps = (
            steps
            if steps >= 0
            else int(x.reduce(np.int64(0), lambda count, _: count + 1))
        )
        self.live = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.skip = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.epochs_done = 0  # full iterations of x made for epochs

    def dataset(self, steps):
        """A dataset of `steps` batches: `x` after `skip` batches while live, the
        stored first batch (once) while not."""
        x, first, live, skip = self.x, self.first, self.live, self.skip
        big = np.int64(2**62)

        def iteration(_):
            peek = tf.data.Dataset.from_tensors(first).repeat(1 - live)
            # take(0) makes no iterator of x: a peek leaves x's seeds as they were.
            return peek.concatenate(x.skip(skip).take(live * big))

        return (
            tf.data.Dataset.from_tensors(np.int64(0))
            .flat_map(iteration)
            .apply(tf.data.experimental.assert_cardinality(steps))
        )

    def start_epoch(self, epoch, skip=0):
        for _ in range(epoch - self.epochs_done):  # the epochs a stopped run did
            self.x.reduce(np.int64(0), lambda count, _: count)
        self.epochs_done = max(self.epochs_done, epoch)
        self.skip.assign(skip)
        self.live.assign(1)

    def end_epoch(self):
        self.live.assign(0)
        self.skip.assign(0)
        self.epochs_done += 1


def checkpointed_fit(model, fit, checkpoint, x, kwargs):
    """`fit(x, **kwargs)` (Keras' fit of the model) with `checkpoint`: from its saved
    state when it has one (see the module), else from the start. Returns the
    `History`, a resumed epoch's values first."""
    if not isinstance(x, tf.data.Dataset) or kwargs.get("steps_per_epoch"):
        # Arrays are reshuffled by Keras' own random order, and steps_per_epoch
        # cuts epochs from a stream: a resumed run restarts the stopped epoch.
        checkpoint.replay = None
        if checkpoint.resume and checkpoint.path.exists():
            epoch, _, _ = checkpoint.restore(model)
            kwargs["initial_epoch"] = epoch
        return fit(x, **kwargs)
    replay = checkpoint.replay = Replay(x)
    checkpoint.steps_per_epoch = replay.steps
    if not (checkpoint.resume and checkpoint.path.exists()):
        return fit(replay.dataset(replay.steps), **kwargs)
    epochs = int(kwargs.pop("epochs", 1))
    kwargs.pop("initial_epoch", None)
    epoch, batch, _ = checkpoint.restore(model)
    checkpoint.steps_per_epoch = replay.steps
    print(
        f"resuming from {checkpoint.path}: epoch {epoch + 1}, after batch {batch}",
        flush=True,
    )
    if epoch >= epochs:
        return keras.callbacks.History()
    for callback in kwargs.get("callbacks") or ():
        if isinstance(callback, guard.StopOnNonFinite):  # names the right step
            callback.resume_at(batch, epoch * replay.steps + batch)
    histories = []
    if batch:
        checkpoint._offset = batch
        part = replay.dataset(replay.steps - batch)
        histories.append(fit(part, epochs=epoch + 1, initial_epoch=epoch, **kwargs))
        epoch += 1
    if epoch < epochs:
        rest = replay.dataset(replay.steps)
        histories.append(fit(rest, epochs=epochs, initial_epoch=epoch, **kwargs))
    history = histories[-1]
    if len(histories) == 2:
        first = histories[0].history
        history.epoch = histories[0].epoch + history.epoch
        history.history = {k: first.get(k, []) + v for k, v in history.history.items()}
    return history
