# %% [markdown]
# # 10 · Scaling out
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/keras-gen/keras_gen/blob/main/tutorials/10_scaling_out.ipynb)
#
# The same keras_gen training on several devices (`MirroredStrategy`), on several
# worker processes (`MultiWorkerMirroredStrategy`), in mixed precision, and after a
# kill: how to run each, and how to check that it computes what one device computes.

# %%
# Installs keras_gen on Colab; does nothing where it is already installed.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("keras_gen") is None:
    subprocess.check_call(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "git+https://github.com/keras-gen/keras_gen",
        ]
    )

# %%
import os

# Fast mode (KERAS_GEN_FAST=1, what CI runs) cuts epochs and sample counts.
FAST = os.environ.get("KERAS_GEN_FAST") == "1"
print("Mode:", "fast (KERAS_GEN_FAST=1)" if FAST else "full")

import json
import signal
import socket
import tempfile
import time
from pathlib import Path

import absl.logging
import keras
import numpy as np
import tensorflow as tf

import keras_gen

absl.logging.set_verbosity(absl.logging.ERROR)  # TFDS deprecation chatter
tf.get_logger().setLevel("ERROR")  # and tf.distribute's INFO lines
# Importing TensorFlow and keras_gen starts no device yet: the next cell can still
# choose the devices.

# %% [markdown]
# ## 1 · Two devices on one CPU
#
# `MirroredStrategy` keeps one copy of the model on each device of a machine and
# splits every batch between them. On a machine with GPUs those devices are the GPUs
# (`tf.config.list_logical_devices("GPU")`, which `get_strategy("mirrored")` uses).
# This machine has one CPU and no GPU, so we split the CPU into two *logical*
# devices. TensorFlow fixes its devices the first time it needs them (the first op,
# or listing logical devices), and refuses to change them afterwards, so this must
# come before anything else touches TensorFlow: here, right after the imports. (In a
# Colab session where TensorFlow already ran, restart the runtime first.)
# `keras_gen.distribute.logical_cpus(2)` does the same in one call.

# %%
GPUS = tf.config.list_physical_devices("GPU")  # listing physical devices is safe
if not GPUS:
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(2)]
    )
print("GPUs:", len(GPUS))
print("logical devices:", [d.name for d in tf.config.list_logical_devices()])

keras.utils.set_random_seed(0)
print(keras_gen.data.prepare("mnist"))  # builds MNIST once; instant afterwards

# %% [markdown]
# ## 2 · The same training, mirrored
#
# `keras_gen.distribute.get_strategy("mirrored")` is a
# `tf.distribute.MirroredStrategy` over the GPUs, or the logical CPUs when there is
# no GPU. A model built and compiled inside `strategy.scope()` trains with the usual
# `fit`; the batch size of the data is the *global* batch, cut into one part per
# replica.

# %%
strategy = keras_gen.distribute.get_strategy("mirrored")
print(type(strategy).__name__, "with", strategy.num_replicas_in_sync, "replicas:")
print(strategy.extended.worker_devices)

# %% [markdown]
# For the update to be the one-device update, each replica's loss must be the sum of
# *its* examples' losses divided by the *global* batch size; the gradients of the
# replicas are then summed. Every keras_gen loss is reduced this way, by
# `keras_gen.distribute.average_loss`. A check with four examples per replica,
# losses 1 on replica 0 and 2 on replica 1: each replica returns its sum over 8,
# and the sum over replicas is the mean of all 8 losses, 1.5. (Dividing by the
# replica's own 4 examples would give 1 + 2 = 3, twice the mean.)


# %%
def replica_loss():
    replica = tf.distribute.get_replica_context().replica_id_in_sync_group
    per_example = tf.fill([4], tf.cast(replica + 1, tf.float32))
    return keras_gen.distribute.average_loss(per_example)


per_replica = tf.function(lambda: strategy.run(replica_loss))()
print(
    "per replica:", [float(v) for v in strategy.experimental_local_results(per_replica)]
)
print("summed:", float(strategy.reduce("SUM", per_replica, axis=None)))

# %% [markdown]
# Now the same autoencoder trains twice from the same initial weights on the same
# batches: on the default (one-device) strategy and mirrored on the 2 replicas, for
# 16 steps of 256 images in both modes. The loader does not shuffle here
# (`shuffle=False`): a shuffled one draws a new order each time it is iterated, and a
# mirrored `fit` iterates its data once more before training than a one-device `fit`
# does, so the two would see different orders. Under several replicas keras_gen runs
# one step per execution whatever `steps_per_execution` asks, and warns: there Keras
# 3.15's multi-step loop stops with an `InvalidArgumentError` ("You must feed a value
# for placeholder tensor"), a plain Keras model too.


# %%
def mnist_train(batch_size=256, n=4096):
    """The first `n` MNIST training images, the same batches every time."""
    return keras_gen.data.load(
        "mnist", "train", batch_size, supervised=False, take=n, shuffle=False
    )


single = keras_gen.Autoencoder(latent_dim=32, seed=0)
start = single.get_weights()
single.compile(keras.optimizers.Adam(1e-3))
with strategy.scope():
    mirrored = keras_gen.Autoencoder(latent_dim=32, seed=0)
    mirrored.set_weights(start)
    mirrored.compile(keras.optimizers.Adam(1e-3))

for label, model in [("one device", single), ("2 replicas", mirrored)]:
    began = time.perf_counter()
    history = model.fit(mnist_train(), epochs=1, verbose=0)
    seconds = time.perf_counter() - began
    bce = history.history["bce"][-1]
    print(f"{label:11s} bce {bce:.4f}   ({seconds:.1f} s, tracing included)")

difference = max(
    np.abs(a - b).max() / np.abs(a).max()
    for a, b in zip(
        [keras.ops.convert_to_numpy(v) for v in single.trainable_variables],
        [keras.ops.convert_to_numpy(v) for v in mirrored.trainable_variables],
        strict=True,
    )
)
steps = int(mirrored.optimizer.iterations.numpy())
print(f"after {steps} steps, largest weight difference / weight size: {difference:.1e}")

# %% [markdown]
# The two runs log the same loss and end with the same weights, up to float32
# round-off (the printed relative difference; the README's test bar is 1e-5 after
# one step). Over hundreds of steps two such runs do drift apart, as two float32
# computations that add the same numbers in different orders do (a mirrored step
# adds the replicas' gradients), and training amplifies such differences: they
# stay alike in their losses, not in every weight. They are not faster mirrored here:
# the two logical devices share the same two cores, and the replicas add copies and an
# all-reduce per step. With several GPUs each replica has its own, and the global batch
# is processed in parallel. From a shell: `keras-gen train dcgan --dataset my_images/
# --strategy mirrored` (README, *Distribution*).
#
# What couples the examples of a batch is computed over the global batch, not per
# replica: the zoo's batch normalization is Keras' `synchronized=True`, and
# minibatch discrimination, feature matching and the semi-supervised weights
# gather or all-reduce across replicas (`keras_gen.distribute.gather_batch`,
# `batch_mean`, `global_mean`). A network you bring keeps its own settings.

# %% [markdown]
# ## 3 · Several workers: `MultiWorkerMirroredStrategy`
#
# Across machines, every worker runs the same program, and the environment variable
# `TF_CONFIG` tells each the cluster (every worker's `host:port`) and its own index.
# Worker 0 is the chief: only it writes files (keras_gen's trainers and checkpoints
# write on the chief only). Two rules: the strategy must be created *before*
# TensorFlow starts its runtime (the first statement of the script, as below), and
# `--out` must be on a file system all workers see.
#
# The notebook writes a small worker script and starts it twice on this machine,
# as two processes talking over `127.0.0.1` (what `tests/test_multi_worker.py`
# does). Each trains the autoencoder for one epoch with a global batch of 128 and
# reports its weights' sha256. The workers read the MNIST split with
# `keras_gen.data.load`, whose datasets tell `tf.distribute` to deal the batches out
# between the workers, each its own (tf.data's default splits by file first, and
# the MNIST split here is a single file).

# %%
WORKER = """
import hashlib, json, os, sys

from keras_gen import distribute

strategy = distribute.get_strategy("multi_worker")  # first, before TensorFlow starts

import keras
import numpy as np

import keras_gen

keras.utils.set_random_seed(0)
n, report = int(sys.argv[1]), sys.argv[2]
train = keras_gen.data.load("mnist", "train", 128, supervised=False, take=n)
with strategy.scope():
    ae = keras_gen.Autoencoder(latent_dim=32, seed=0)
    ae.compile(keras.optimizers.Adam(1e-3))
history = ae.fit(train, epochs=1, verbose=0)
weights = b"".join(np.asarray(w).tobytes() for w in ae.get_weights())
result = {
    "index": json.loads(os.environ["TF_CONFIG"])["task"]["index"],
    "chief": distribute.is_chief(),
    "replicas": strategy.num_replicas_in_sync,
    "steps": int(ae.optimizer.iterations.numpy()),
    "bce": round(float(np.ravel(history.history["bce"])[-1]), 3),
    "weights_sha256": hashlib.sha256(weights).hexdigest()[:16],
}
with open(report, "w") as f:
    json.dump(result, f)
"""
work = Path(tempfile.mkdtemp())
(work / "worker.py").write_text(WORKER)


def free_ports(n):
    """`n` TCP ports on 127.0.0.1 that nothing listens on now."""
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
n_worker = 2048 if FAST else 16384
workers = []
for index in range(2):
    tf_config = {"cluster": cluster, "task": {"type": "worker", "index": index}}
    print(f"TF_CONFIG of worker {index}: {json.dumps(tf_config)}")
    env = os.environ | {"TF_CONFIG": json.dumps(tf_config), "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "worker.py", str(n_worker), f"report{index}.json"]
    workers.append(
        subprocess.Popen(
            command,
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    )
logs = [w.communicate(timeout=600)[0] for w in workers]
for w, log in zip(workers, logs, strict=True):
    if w.returncode != 0:
        print(log[-3000:])
for index in range(2):
    print(json.loads((work / f"report{index}.json").read_text()))

# %% [markdown]
# Both workers trained as one model of 2 replicas (one per process), took the same
# number of steps of 128 images, and ended with identical weights; only worker 0 is
# the chief. On real machines the same is one command per machine, each with its
# own index:
#
#     TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]},
#                 "task": {"type": "worker", "index": 0}}' \
#         keras-gen train vae --dataset my_images/ --strategy multi_worker \
#         --out /shared/runs/vae

# %% [markdown]
# ## 4 · Mixed precision
#
# Under a mixed policy the layers compute in a 16-bit type while the variables stay
# float32. GPUs compute `mixed_float16` fast; CPUs (and TPUs) compute
# `mixed_bfloat16`. keras_gen keeps the losses, distributions and metrics float32
# under either, and `sample`, `reconstruct` and `decode` return float32. The policy
# is global: set it before building the model, and set it back afterwards.

# %%
low = "mixed_float16" if GPUS else "mixed_bfloat16"
keras.mixed_precision.set_dtype_policy(low)
ae16 = keras_gen.Autoencoder(latent_dim=32, seed=0)
ae16.compile(keras.optimizers.Adam(1e-3), steps_per_execution=8)
n_mixed, epochs = (4096, 1) if FAST else (60000, 3)
history = ae16.fit(mnist_train(128, n_mixed), epochs=epochs, verbose=0)

x = next(iter(mnist_train(8)))
kernel = ae16.encoder.layers[-1].kernel
print("policy:", ae16.dtype_policy.name, "| optimizer:", type(ae16.optimizer).__name__)
print("compute dtype:", ae16.compute_dtype, "| variables:", kernel.dtype)
print("code (encode):", ae16.encode(x).dtype)
print("reconstruct:", ae16.reconstruct(x).dtype, "| sample:", ae16.sample(4).dtype)
print("bce per epoch:", [round(v, 3) for v in history.history["bce"]])

# %% [markdown]
# The code that `encode` returns is in the compute dtype; what reaches you as
# images is float32. float16 has few exponent bits: small gradients round to 0.
# So under `mixed_float16` every optimizer is wrapped in a
# `keras.optimizers.LossScaleOptimizer`, which multiplies the loss by a large
# factor before the gradients are taken and divides them again (halving the factor
# when a gradient overflows, doubling it after 2,000 good steps). keras_gen wraps
# *every* named optimizer, a GAN's two as well. bfloat16 has float32's exponent
# range and needs no scaling, which is why on a CPU (`mixed_bfloat16`) the
# optimizer printed above is the plain Adam. Here we only build and compile under
# `mixed_float16`: TensorFlow's CPU kernels for float16 are slow, and training
# under it on a CPU would crawl.

# %%
keras.mixed_precision.set_dtype_policy("mixed_float16")
ae_f16 = keras_gen.Autoencoder(latent_dim=32, seed=0)
ae_f16.compile(keras.optimizers.Adam(1e-3))
gan_f16 = keras_gen.GAN(seed=0)
gan_f16.compile(
    d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
)
keras.mixed_precision.set_dtype_policy("float32")  # back to the default

scaled = ae_f16.optimizer
print(type(scaled).__name__, "around", type(scaled.inner_optimizer).__name__)
print("initial loss scale:", scaled.initial_scale, "| growth every", end=" ")
print(scaled.dynamic_growth_steps, "steps")
for name in gan_f16.optimizer_names:
    print(f"GAN {name}:", type(getattr(gan_f16, name)).__name__)

# %% [markdown]
# ## 5 · Resume a killed run
#
# A run can die at any moment: a preempted machine, a lost Colab session, a
# SIGKILL. `keras_gen.callbacks.TrainingCheckpoint(folder, every_steps)` passed to
# `fit` writes the whole training state every `every_steps` steps and at every
# epoch's end (every network's and optimizer's variables, the seed generators, and
# the position in the data), atomically. Run the same `fit` again with it, and it
# loads that state and trains only what is left, from the next batch. From a shell,
# `keras-gen train NAME --out DIR --resume` does the same (README, *Stop and
# resume*).
#
# The notebook writes a training script and starts it as a separate process: 3
# epochs of 20 batches, a state every 5 steps. A small sleep after each batch
# stands in for a slow model, so the kill lands inside the second epoch: as soon as
# the state file shows the run is in epoch 2, the notebook kills the process with
# SIGKILL (no chance to clean up).

# %%
TRAIN = """
import sys, time

import keras

import keras_gen


class SlowSteps(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        time.sleep(0.03)


keras.utils.set_random_seed(0)
train = keras_gen.data.load("mnist", "train", 64, supervised=False, take=1280)
ae = keras_gen.Autoencoder(latent_dim=32, seed=0)
ae.compile(keras.optimizers.Adam(1e-3))
checkpoint = keras_gen.callbacks.TrainingCheckpoint(sys.argv[1], every_steps=5)
ae.fit(train, epochs=3, callbacks=[checkpoint, SlowSteps()], verbose=2)
"""
(work / "train.py").write_text(TRAIN)
state = work / "run" / "training_state"
watch = keras_gen.callbacks.TrainingCheckpoint(state)  # to read the saved position

with open(work / "train.log", "w") as log:
    run = subprocess.Popen(
        [sys.executable, "train.py", str(state)],
        cwd=work,
        env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    while run.poll() is None:
        saved = watch.saved_position()  # (epoch, batch, steps per epoch) or None
        if saved is not None and saved[0] >= 1 and saved[1] > 0:  # inside epoch 2
            os.kill(run.pid, signal.SIGKILL)
            break
        time.sleep(0.01)
    run.wait()

print("exit status:", run.returncode, "(-9: killed by SIGKILL)")
printed = (work / "train.log").read_text().splitlines()
print("\n".join(line for line in printed if line.startswith("Epoch") or "step" in line))
epoch, batch, steps_per_epoch = watch.saved_position()
print(f"last state saved: epoch index {epoch}, {batch} of {steps_per_epoch} batches")

# %% [markdown]
# The run finished epoch 1 and was killed in epoch 2 (epoch index 1: the state
# counts epochs from 0, Keras' log from 1); the state it left says after which
# batch. Here the same `fit` runs again in this notebook, with the same data, the
# same model and the same checkpoint folder: it prints where it resumes and trains
# the rest of epoch 2, then epoch 3. Any batches the killed process ran after its
# last save are done again, from the saved state. (Keras labels the rest of epoch 2
# "Epoch 2/2": keras_gen runs it as a `fit` of its own, then the epochs after it.)

# %%
keras.utils.set_random_seed(0)
train = keras_gen.data.load("mnist", "train", 64, supervised=False, take=1280)
ae = keras_gen.Autoencoder(latent_dim=32, seed=0)
ae.compile(keras.optimizers.Adam(1e-3))
checkpoint = keras_gen.callbacks.TrainingCheckpoint(state, every_steps=5)
history = ae.fit(train, epochs=3, callbacks=[checkpoint], verbose=2)

print("optimizer steps:", int(ae.optimizer.iterations.numpy()), "= 3 epochs x 20")
print("epochs this call trained:", [e + 1 for e in history.epoch])

# %% [markdown]
# The optimizer's step counter ends at 60, three full epochs, though this call ran
# only what was left: it went on from the saved step, with the saved Adam moments,
# not from step 0. With op determinism on and fixed seeds, such a resumed run ends
# with the weights of one never stopped, bit for bit (`tests/test_resume_midepoch.py`
# kills an AE, a VAE in KL warm-up, a GAN and an AAE mid-epoch and checks it). This
# needs the data to be a `tf.data.Dataset` that iterates in the same orders when
# built again, as every `keras_gen.data` loader does; with numpy arrays passed to
# `fit`, the stopped epoch restarts from its first batch.

# %% [markdown]
# ## What next
#
# - **09 · The pretrained zoo in five minutes**: load trained models instead of
#   training them, and fine-tune one on your own images.
# - **01 · Autoencoders and manifold learning**: the autoencoder trained here, and
#   what its code learns.
# - **06 · DCGAN and the improved techniques**: batch normalization and minibatch
#   discrimination, the layers that look at the whole (global) batch.
# - **03 · Variational autoencoders with TensorFlow Probability**: the
#   distributions that stay float32 under mixed precision.
