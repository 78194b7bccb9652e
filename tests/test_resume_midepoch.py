"""A `fit` killed with SIGKILL in the middle of an epoch resumes from its
`TrainingCheckpoint` and ends with the weights and optimizer states of a run that
was never stopped, bit for bit: an autoencoder, a VAE during its KL warm-up, a GAN
keeping a moving average of its generator, and an AAE (three optimizers).

Op determinism is process-wide, so the runs happen in subprocesses (this file run
as a script): one killed run per model, then one process that trains every model
uninterrupted, resumes each killed run, and (to show the comparison can fail)
resumes each as Keras' `BackupAndRestore` would, replaying the stopped epoch from
its first batch.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from . import harness

ROOT = Path(__file__).resolve().parents[1]
MODELS = {
    "ae": ("ae_mnist", {}),
    "vae_warmup": ("vae_mnist", {"kl_warmup_epochs": 3}),
    "gan_ema": ("gan_mnist", {"ema_decay": 0.9}),
    "aae": ("aae_mnist", {}),
}
EXAMPLES, BATCH, EPOCHS = 96, 16, 3  # 6 batches an epoch, 18 steps
EVERY, KILL_AT = 4, 10  # saved after steps 4, 6 (epoch end), 8; killed at step 10


def _setup(key):
    import keras
    import numpy as np

    from keras_gen import data

    name, extra = MODELS[key]
    keras.utils.set_random_seed(0)
    model = harness.small_model(name, **extra)
    harness.compile_model(model)
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (EXAMPLES, 28, 28, 1), dtype=np.uint8)
    ds = data.from_arrays(
        x,
        batch_size=BATCH,
        shuffle=True,
        seed=3,
        binarize="dynamic",
        flatten=len(model.data_shape) == 1,
    )
    return model, ds


def _digest(model):
    import hashlib

    import keras

    from keras_gen.models.resume import state_variables

    digest = hashlib.sha256()
    for v in state_variables(model):
        digest.update(keras.ops.convert_to_numpy(v).tobytes())
    return digest.hexdigest()


def _killed(key, folder):
    import keras

    from keras_gen.callbacks import TrainingCheckpoint

    class Kill(keras.callbacks.Callback):
        # After the checkpoint's save: SIGKILL at step KILL_AT, mid-epoch.
        steps = 0

        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1
            if self.steps == KILL_AT:
                os.kill(os.getpid(), signal.SIGKILL)

    model, ds = _setup(key)
    ckpt = TrainingCheckpoint(folder, every_steps=EVERY)
    model.fit(ds, epochs=EPOCHS, verbose=0, callbacks=[ckpt, Kill()])
    raise AssertionError("the run was not killed")


def _compare(keys, folders):
    from keras_gen.callbacks import TrainingCheckpoint

    out = {}
    for key, folder in zip(keys, folders, strict=True):
        model, ds = _setup(key)  # never stopped (a checkpoint that never saves)
        never = TrainingCheckpoint(folder + "_full", every_steps=10**6)
        model.fit(ds, epochs=EPOCHS, verbose=0, callbacks=[never])
        full = _digest(model)

        ckpt = TrainingCheckpoint(folder, every_steps=EVERY)
        position = ckpt.saved_position()
        shutil.copytree(folder, folder + "_killed")  # the resumed run writes on
        model, ds = _setup(key)
        model.fit(ds, epochs=EPOCHS, verbose=0, callbacks=[ckpt])
        resumed = _digest(model)

        model, ds = _setup(key)  # the stopped epoch replayed from its first batch
        epoch, _, _ = TrainingCheckpoint(folder + "_killed").restore(model)
        model.fit(ds, epochs=EPOCHS, initial_epoch=epoch, verbose=0)
        out[key] = {
            "position": list(position),
            "full": full,
            "resumed": resumed,
            "replayed": _digest(model),
        }
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("midepoch")
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    folders = [str(base / key) for key in MODELS]
    killed = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.test_resume_midepoch", "killed", key, f],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for key, f in zip(MODELS, folders, strict=True)
    ]
    codes = [(p.wait(timeout=600), p.stderr.read()[-2000:]) for p in killed]
    done = harness.run_quietly(
        [
            sys.executable,
            "-m",
            "tests.test_resume_midepoch",
            "compare",
            ",".join(MODELS),
            ",".join(folders),
        ],
        ROOT,
        timeout=900,
    )
    return codes, json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(MODELS))
def test_a_killed_run_resumes_inside_the_epoch_bit_for_bit(key, runs):
    codes, results = runs
    code, stderr = codes[list(MODELS).index(key)]
    assert code == -signal.SIGKILL, stderr
    result = results[key]
    # The last state was written after step 8 of 18: epoch 2 (index 1), batch 2.
    assert result["position"] == [1, 2, 6]
    assert result["resumed"] == result["full"]
    # Replaying the stopped epoch from its start (BackupAndRestore's way) trains
    # two extra steps: the comparison sees it.
    assert result["replayed"] != result["full"]


if __name__ == "__main__":
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    if sys.argv[1] == "killed":
        _killed(sys.argv[2], sys.argv[3])
    else:
        print(json.dumps(_compare(sys.argv[2].split(","), sys.argv[3].split(","))))


def test_the_state_and_its_position_file_are_replaced_whole(tmp_path, monkeypatch):
    # A reader polling training_metadata.json (a notebook, a scheduler) must never
    # find it empty or half-written: both files are written aside, then renamed.
    import keras
    import numpy as np

    from keras_gen import Autoencoder
    from keras_gen.models import resume

    renamed = []
    real_replace = os.replace
    monkeypatch.setattr(
        resume.os,
        "replace",
        lambda src, dst: (renamed.append(Path(dst).name), real_replace(src, dst)),
    )
    model = Autoencoder(input_shape=(4, 4, 1), latent_dim=2, hidden_units=(4,))
    model.compile(keras.optimizers.Adam())
    x = np.random.default_rng(0).uniform(0, 1, (16, 4, 4, 1)).astype("float32")
    ckpt = resume.TrainingCheckpoint(tmp_path / "state", every_steps=1)
    model.fit(x, batch_size=8, epochs=1, verbose=0, callbacks=[ckpt])
    assert resume.STATE_FILE in renamed and resume.INFO_FILE in renamed
    info = json.loads((tmp_path / "state" / resume.INFO_FILE).read_text())
    assert info == {"epoch": 1, "batch": 0, "steps_per_epoch": 2}  # epoch 0 done
    assert not list((tmp_path / "state").glob("*.tmp"))
