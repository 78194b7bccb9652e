"""`MultiWorkerMirroredStrategy` with 2 worker processes on 127.0.0.1: a VAE and a
GAN train on a folder of images, both workers end with identical weights, the
chief writes the preset folder and the training state, the other worker writes
nothing of its own (its `out` stays absent) and leaves no temporary folder."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from keras_gen import training, zoo
from keras_gen.models import resume

from .test_any_shape import write_images

WORKER = """
import hashlib, sys
from keras_gen import distribute
strategy = distribute.get_strategy("multi_worker")  # before TensorFlow starts
import numpy as np
from keras_gen import runs
name, folder, out, digest = sys.argv[1:5]
model, meta = runs.train(
    name, folder, out, epochs=2, batch_size=8, verbose=0, evaluation_samples=50,
    likelihood_samples=5, strategy=strategy, checkpoint_steps=2,
)
h = hashlib.sha256()
for w in model.get_weights():
    h.update(np.asarray(w).tobytes())
open(digest, "w").write(h.hexdigest() + " " + str(meta["replicas"]))
"""


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _digest(model):
    import hashlib

    h = hashlib.sha256()
    for w in model.get_weights():
        h.update(np.asarray(w).tobytes())
    return h.hexdigest()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["vae", "gan"])
def test_two_workers_train_alike_and_only_the_chief_writes(tmp_path, name):
    folder = write_images(tmp_path / "images", (8, 8, 1), n=48)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(2)]}
    outs = [tmp_path / "out", tmp_path / "out_of_worker_1"]
    temps = [tmp_path / "tmp0", tmp_path / "tmp1"]
    procs = []
    for i in range(2):
        temps[i].mkdir()
        task = {"cluster": cluster, "task": {"type": "worker", "index": i}}
        env = os.environ | {
            "TF_CONFIG": json.dumps(task),
            "TMPDIR": str(temps[i]),
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
        args = [name, str(folder), str(outs[i]), str(tmp_path / f"digest{i}")]
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", WORKER, *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    try:
        logs = [p.communicate(timeout=400)[0] for p in procs]
    finally:
        for p in procs:
            p.kill()
    for p, log in zip(procs, logs, strict=True):
        assert p.returncode == 0, log[-4000:]

    digests = [(tmp_path / f"digest{i}").read_text().split() for i in range(2)]
    assert digests[0] == digests[1]  # the same weights on both workers
    assert digests[0][1] == "2"  # trained as 2 replicas
    for part in ("config.json", "model.weights.h5", "metadata.json", "README.md"):
        assert (outs[0] / part).is_file(), part
    assert (outs[0] / training.STATE_DIR / resume.STATE_FILE).is_file()
    assert not outs[1].exists()  # the other worker wrote none of its own
    assert not any(temps[1].iterdir())  # and removed its temporary folder
    assert _digest(zoo.create_model(str(outs[0]))) == digests[0][0]
    meta = json.loads((outs[0] / "metadata.json").read_text())
    # TensorFlow's class behind tf.distribute.MultiWorkerMirroredStrategy:
    assert meta["strategy"] == "CollectiveAllReduceStrategy"
    assert meta["epochs_done"] == 2
