"""`keras-gen train ... --resume` after a SIGKILL in the middle of an epoch: the
resumed run ends with the training state (every network's and optimizer's
variables) of a run that was never stopped, bit for bit; and a state written by
the epoch-level `BackupAndRestore` of earlier versions still resumes.

The CLI runs in subprocesses (op determinism is process-wide); a prelude turns
determinism on and, when asked, kills the process after a given training step,
right after the step's checkpoint callbacks ran.
"""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_gen import runs, training
from keras_gen.models import resume

from .test_any_shape import write_images

PRELUDE = """
import os, signal, sys
import keras, tensorflow as tf
keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()
from keras_gen import cli, runs
kill_at = int(os.environ.get("KILL_AT", "0"))

class Killing(runs.PresetCheckpoint):
    steps = 0

    def on_train_batch_end(self, batch, logs=None):
        Killing.steps += 1
        if Killing.steps == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

runs.PresetCheckpoint = Killing
sys.exit(cli.main(sys.argv[1:]))
"""
# 48 images, 10 % held out: 43 to train, 6 batches of 8 an epoch (the last of 3).
EPOCHS, EVERY, KILL_AT = 3, 4, 10  # saved after steps 4, 6, 8; killed at step 10


def _train(folder, out, cwd, kill_at=0, resume=False):
    command = [sys.executable, "-c", PRELUDE, "train", "aae", "--dataset"]
    command += [str(folder), "--epochs", str(EPOCHS), "--batch-size", "8"]
    command += ["--out", str(out), "--eval-samples", "50"]
    command += ["--checkpoint-steps", str(EVERY), *(["--resume"] if resume else [])]
    env = {"KILL_AT": str(kill_at), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        command,
        cwd=cwd,
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _state(out):
    with np.load(out / training.STATE_DIR / resume.STATE_FILE) as saved:
        return {k: saved[k] for k in saved.files if k != "__paths__"}


@pytest.mark.slow
def test_a_killed_cli_run_resumes_mid_epoch_bit_for_bit(tmp_path):
    folder = write_images(tmp_path / "images", (8, 8, 1), n=48)
    killed = _train(folder, tmp_path / "killed", tmp_path, kill_at=KILL_AT)
    assert killed.returncode == -9, killed.stderr[-3000:]
    info = json.loads(
        (tmp_path / "killed" / training.STATE_DIR / resume.INFO_FILE).read_text()
    )
    assert (info["epoch"], info["batch"]) == (1, 2), info  # mid-epoch 2

    done = _train(folder, tmp_path / "killed", tmp_path, resume=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "after epoch 1 and 2 batches" in done.stdout
    full = _train(folder, tmp_path / "full", tmp_path)
    assert full.returncode == 0, full.stderr[-3000:]

    resumed, never = _state(tmp_path / "killed"), _state(tmp_path / "full")
    assert resumed.keys() == never.keys() and len(resumed) > 20
    for key in never:
        np.testing.assert_array_equal(resumed[key], never[key], err_msg=key)
    meta = json.loads((tmp_path / "killed" / "metadata.json").read_text())
    assert meta["epochs_done"] == EPOCHS and meta["resumed_after_epochs"] == [1]


def test_a_state_of_the_epoch_level_backup_still_resumes(tmp_path, monkeypatch):
    # The runs of earlier versions saved Keras' BackupAndRestore state.
    folder = write_images(tmp_path / "images", (8, 8, 1), n=24)
    common = dict(batch_size=8, verbose=0, evaluation_samples=50, likelihood_samples=5)
    with monkeypatch.context() as patched:
        patched.setattr(
            training,
            "TrainingCheckpoint",
            lambda state, every_steps, resume: keras.callbacks.BackupAndRestore(
                str(state), delete_checkpoint=False
            ),
        )
        runs.train("vae", folder, tmp_path / "run", epochs=1, **common)
    state = tmp_path / "run" / training.STATE_DIR
    assert (state / "latest.weights.h5").exists()
    assert not (state / resume.STATE_FILE).exists()
    model, meta = runs.train(
        "vae", folder, tmp_path / "run", epochs=2, resume=True, **common
    )
    assert meta["epochs_done"] == 2 and meta["resumed_after_epochs"] == [1]
    # The second epoch went on from the first one's optimizer state.
    assert int(model.optimizer.iterations.numpy()) == 2 * 3
