"""How far one training step on 2 replicas is from the step on one device, for
every registered preset, in float32 and in float64.

`tests/harness.py: check_distributed_step` asserts the float64 figure below 1e-6;
this prints both policies' figures (the largest weight-change difference relative to
the largest change, `harness.first_step_mismatch`) so that the bound's margin is a
measurement:

    python benchmarks/distributed_mismatch.py \
        [--out benchmarks/results/distributed_mismatch.md]
"""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

# Two logical CPUs, before TensorFlow starts (as tests/conftest.py does).
tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration() for _ in range(2)],
)

from keras_gen import zoo  # noqa: E402
from tests import harness  # noqa: E402

POLICIES = ("float32", "float64")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    rows = []
    for name in zoo.list_models():
        values = []
        for policy in POLICIES:
            with pytest.MonkeyPatch.context() as patch:
                ctx = harness.Context(None, strategy, patch)
                values.append(harness.first_step_mismatch(name, ctx, policy))
        rows.append((name, *values))
        print(name, *(f"{v:.3g}" for v in values), flush=True)
    lines = [
        "# One step on 2 replicas against one device",
        "",
        "Command: `python benchmarks/distributed_mismatch.py --out "
        "benchmarks/results/distributed_mismatch.md`. Largest difference of the "
        "first step's weight changes (2 logical CPUs against one device, the same "
        "initial weights, global batch and noise), relative to the largest change; "
        "the test asserts float64 below 1e-6.",
        "",
        "| preset | " + " | ".join(POLICIES) + " |",
        "|---|" + "---|" * len(POLICIES),
        *(f"| {n} | " + " | ".join(f"{v:.2g}" for v in vs) + " |" for n, *vs in rows),
        "",
        "Largest: "
        + ", ".join(
            f"{p} {max(r[i + 1] for r in rows):.2g}" for i, p in enumerate(POLICIES)
        )
        + ".",
    ]
    text = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
