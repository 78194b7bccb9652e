"""Strategy selection and the loss-scaling contract.

Every keras_gen model reduces its per-example losses with `average_loss`: the sum over
the replica's examples divided by the *global* batch size. Gradients are summed across
replicas by the optimizer, so the update under a strategy equals the single-device
update on the whole global batch. Metric trackers get the unscaled per-example values.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import keras
import tensorflow as tf


def average_loss(per_example_loss, global_batch_size=None):
    """Reduces a per-example loss vector for distributed training.

    Args:
        per_example_loss: Tensor of shape `[batch]`, one loss value per example.
        global_batch_size: The global batch size. Defaults to the local batch size
            times the number of replicas in sync.

    Returns:
        A scalar: sum of the local losses divided by the global batch size. Outside a
        strategy this is the plain mean.

    Example:
        >>> average_loss(tf.constant([1.0, 3.0])).numpy()
        2.0
    """
    per_example_loss = tf.convert_to_tensor(per_example_loss)
    if per_example_loss.shape.rank != 1:
        raise ValueError(
            "average_loss expects a per-example vector of rank 1, got shape "
            f"{per_example_loss.shape}."
        )
    return tf.nn.compute_average_loss(
        per_example_loss, global_batch_size=global_batch_size
    )


def multi_worker(strategy=None):
    """Whether `strategy` (default: the current one) spans several workers."""
    strategy = strategy or tf.distribute.get_strategy()
    return (
        isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        and strategy.extended._in_multi_worker_mode()
    )


def is_chief():
    """Whether this process writes a run's files: under a multi-worker `TF_CONFIG`
    only the chief (or worker 0 of a cluster without one) does."""
    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    task = resolver.task_type
    return task in (None, "", "chief") or (task == "worker" and resolver.task_id == 0)


def worker_folder(folder):
    """`folder` on the chief; on another worker a temporary folder, removed when
    the process ends. Every worker does the same work (collectives included),
    writing where this says, so that only the chief's files are kept."""
    if is_chief():
        return Path(folder)
    tmp = tempfile.mkdtemp(prefix="keras_gen_worker_")
    atexit.register(shutil.rmtree, tmp, True)
    return Path(tmp)


def step_results(results):
    """A train/test step's metric results, shaped for Keras' reduction over the
    replicas. Under several workers Keras 3 reduces them with
    `strategy.reduce("MEAN", value, axis=0)`, which fails on a scalar ("Invalid
    reduction dimension 0", tensorflow/tensorflow#72388; met here with 2 workers):
    there each becomes a vector of one, which that reduction makes a scalar."""
    if not multi_worker():
        return results
    return {name: tf.reshape(value, (1,)) for name, value in results.items()}


def global_mean(values):
    """The mean of `values` `[batch]` over the *global* batch: under a strategy,
    the sum and the count of every replica's examples are all-reduced first, so
    each replica divides by the same number (a share of labelled examples, say,
    that must not differ between replicas). Outside a strategy the plain mean.
    No gradient flows through it (it weights losses, it is not one)."""
    values = tf.cast(tf.reshape(values, (-1,)), "float32")
    totals = tf.stack([tf.reduce_sum(values), tf.cast(tf.size(values), "float32")])
    context = tf.distribute.get_replica_context()
    if context is not None and context.num_replicas_in_sync > 1:
        totals = context.all_reduce("sum", totals)
    return tf.stop_gradient(totals[0] / tf.maximum(totals[1], 1.0))


def batch_mean(x):
    """The mean of `x` `[batch, ...]` over the examples of the *global* batch,
    differentiable: under a strategy each replica's sum and count are all-reduced
    (whose gradient is the all-reduced gradient), so a statistic of the whole batch,
    feature matching's E f(x), is the one a single device computes. Outside a
    strategy, or with one replica, `mean(x, 0)`."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return tf.reduce_mean(x, 0)
    total = context.all_reduce("sum", tf.reduce_sum(x, 0))
    count = context.all_reduce("sum", tf.cast(tf.shape(x)[0], x.dtype))
    return total / count


def gather_batch(x):
    """`x` `[batch, ...]` of every replica, concatenated in replica order along the
    batch axis (differentiable): what a layer comparing each example with the whole
    minibatch (minibatch discrimination) needs to see under a strategy. `x` itself
    outside a strategy or with one replica."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return x
    return context.all_gather(x, axis=0)


def logical_cpus(n=2):
    """Splits the first physical CPU into `n` logical devices.

    Must run before TensorFlow initializes its devices (before the first op).

    Args:
        n: Number of logical CPU devices.

    Returns:
        The list of logical CPU device names.
    """
    cpus = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(n)]
    )
    return [d.name for d in tf.config.list_logical_devices("CPU")]


STRATEGIES = ("auto", "default", "mirrored", "one_device", "multi_worker", "tpu")

# Measured with Keras 3.15.1 and TF 2.21.0 on two logical CPUs: `fit` of any model,
# a plain keras.Sequential too, under MirroredStrategy with steps_per_execution > 1
# fails at its first step (tests/test_distribute.py keeps checking that it still
# does, so the fallback in Model.compile goes once Keras fixes it).
MULTI_STEP_UNSUPPORTED = (
    "Keras 3.15's multi-step training loop fails under several replicas "
    "(InvalidArgumentError: 'You must feed a value for placeholder tensor' in "
    "multi_step_on_iterator)"
)
# Set where a TPU is attached (Colab, GCE): the only places "auto" looks for one,
# so that "auto" never waits on a metadata server that is not there.
TPU_VARIABLES = ("TPU_NAME", "COLAB_TPU_ADDR")


def get_strategy(name="auto"):
    """Returns a `tf.distribute.Strategy` by name.

    Args:
        name: `"auto"` (a TPU when `TPU_NAME` or `COLAB_TPU_ADDR` names one,
            mirrored over all GPUs when there are several, else the default
            strategy), `"default"`, `"mirrored"` (all GPUs, or all logical CPUs
            when there is no GPU), `"one_device"`, `"multi_worker"`
            (`MultiWorkerMirroredStrategy` over the cluster that `TF_CONFIG`
            describes) or `"tpu"`.

    Returns:
        The strategy.
    """
    if name not in STRATEGIES:
        raise ValueError(
            f"strategy must be one of {', '.join(map(repr, STRATEGIES))}; got {name!r}."
        )
    if name == "multi_worker":
        if not os.environ.get("TF_CONFIG"):
            raise ValueError(
                "strategy 'multi_worker' reads the cluster from the TF_CONFIG "
                "environment variable, which is not set; set it on every worker, "
                'e.g. TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", '
                '"host2:12345"]}, "task": {"type": "worker", "index": 0}}\'.'
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    # Listing logical devices starts TensorFlow's runtime, after which collective
    # ops (multi_worker) can no longer be configured: it comes after that case.
    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto":
        if any(os.environ.get(v) for v in TPU_VARIABLES):
            name = "tpu"
        else:
            name = "mirrored" if len(gpus) > 1 else "default"
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = [d.name for d in gpus] or [
            d.name for d in tf.config.list_logical_devices("CPU")
        ]
        return tf.distribute.MirroredStrategy(devices)
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    return _tpu_strategy()


def resolve_strategy(strategy):
    """`strategy` itself, the strategy `get_strategy` names, or (for `None`) the
    current one."""
    if strategy is None:
        return tf.distribute.get_strategy()
    if isinstance(strategy, str):
        return get_strategy(strategy)
    if not isinstance(strategy, tf.distribute.Strategy):
        raise TypeError(
            "strategy must be a tf.distribute.Strategy or one of "
            f"{', '.join(map(repr, STRATEGIES))}; got {type(strategy).__name__}."
        )
    return strategy


def _tpu_strategy():
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(
            tpu=os.environ.get("TPU_NAME") or os.environ.get("COLAB_TPU_ADDR") or ""
        )
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, tf.errors.OpError) as err:
        raise ValueError(
            f"strategy 'tpu' found no TPU ({err}); on Colab choose a TPU runtime, "
            "elsewhere set TPU_NAME."
        ) from None
    return tf.distribute.TPUStrategy(resolver)


class ReplicaSeedGenerator(keras.random.SeedGenerator):
    """A `keras.random.SeedGenerator` whose seeds differ between replicas.

    Under a `tf.distribute` strategy every replica holds a copy of the same seed
    state, so a plain generator hands every replica the same noise and a step sees
    only batch / replicas distinct noise vectors. `next` folds the replica's id into
    the seed; with one replica (or outside a replica context) the seeds are the plain
    generator's, so single-device training draws exactly what it drew before.
    """

    def next(self, ordered=True):
        seed = super().next(ordered=ordered)
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return seed
        replica = tf.cast(context.replica_id_in_sync_group, "int32")
        return tf.random.experimental.stateless_fold_in(seed, replica)


def replica_noise_in_layers(model):
    """Makes every plain `keras.random.SeedGenerator` inside `model`'s layers (a
    `Dropout`'s, a `GaussianNoise`'s, ...) a `ReplicaSeedGenerator`, so each
    replica draws its own dropout masks and noise. The object stays the same (its
    class changes, its state variable does not): with one device the draws are
    unchanged, and saved weights and layer configs are as before.

    Keras' layers make their own generators and take none from outside, so the
    class is swapped rather than the generator replaced.
    """
    for layer in model._flatten_layers(include_self=True, recursive=True):
        for value in vars(layer).values():
            if type(value) is keras.random.SeedGenerator:
                value.__class__ = ReplicaSeedGenerator
