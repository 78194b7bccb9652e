"""`keras-gen train` whose losses turn NaN mid-epoch: the command exits 1 with a
message naming the loss and the step, the mid-epoch training state on disk is the
last one saved before the NaN (every value finite), and `--resume` continues from
it to the end."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from keras_gen import training
from keras_gen.models import resume

from .test_any_shape import write_images
from .test_resume_cli import _state

# After training step POISON_AT's callbacks ran, every weight of the model becomes
# NaN: step POISON_AT + 1 logs NaN losses.
PRELUDE = """
import os, sys
import numpy as np
from keras_gen import cli, runs
poison_at = int(os.environ.get("POISON_AT", "0"))

class Poisoning(runs.PresetCheckpoint):
    steps = 0

    def on_train_batch_end(self, batch, logs=None):
        Poisoning.steps += 1
        if Poisoning.steps == poison_at:
            for v in self.model.trainable_variables:
                v.assign(np.full(v.shape, np.nan, v.dtype))

runs.PresetCheckpoint = Poisoning
sys.exit(cli.main(sys.argv[1:]))
"""
# 48 images, 10 % held out: 6 batches of 8 an epoch; the state is saved every 4
# steps and at each epoch's end. Poisoned after step 11: step 12 (epoch 2, batch
# 6, the epoch's last, where a save is due) is the first with NaN losses.
EPOCHS, EVERY, POISON_AT = 3, 4, 11


def _train(folder, out, cwd, poison_at=0, resume=False):
    command = [sys.executable, "-c", PRELUDE, "train", "aae", "--dataset"]
    command += [str(folder), "--epochs", str(EPOCHS), "--batch-size", "8"]
    command += ["--out", str(out), "--eval-samples", "50"]
    command += ["--checkpoint-steps", str(EVERY), *(["--resume"] if resume else [])]
    env = {"POISON_AT": str(poison_at), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        command,
        cwd=cwd,
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_a_nan_stops_the_command_and_keeps_the_last_good_state(tmp_path):
    folder = write_images(tmp_path / "images", (8, 8, 1), n=48)
    out = tmp_path / "run"
    stopped = _train(folder, out, tmp_path, poison_at=POISON_AT)
    assert stopped.returncode == 1, stopped.stderr[-3000:]
    last = stopped.stderr.strip().splitlines()[-1]
    assert last.startswith("keras-gen train: "), last
    assert "=nan" in last and "training step 12" in last, last

    info = json.loads((out / training.STATE_DIR / resume.INFO_FILE).read_text())
    # The save due after step 12 did not happen: the state is the one of step 8.
    assert (info["epoch"], info["batch"]) == (1, 2), info
    state = _state(out)
    assert len(state) > 20
    for key, value in state.items():
        if value.dtype.kind == "f":
            assert np.isfinite(value).all(), key

    done = _train(folder, out, tmp_path, resume=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "after epoch 1 and 2 batches" in done.stdout
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["epochs_done"] == EPOCHS
    for key, value in _state(out).items():
        if value.dtype.kind == "f":
            assert np.isfinite(value).all(), key
