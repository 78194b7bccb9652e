"""With `keras.utils.set_random_seed` and TensorFlow's op determinism, two runs of
the same training give identical weights, for every registered architecture.

Op determinism is process-wide and TensorFlow has no public switch back, so the
runs happen in a subprocess (this file run as a script), one architecture each.
"""

import json
import sys
from pathlib import Path

import pytest

from . import harness

ARCHITECTURES = harness.architectures()
ROOT = Path(__file__).resolve().parents[1]


def _weights_digest(name, seed):
    """Trains preset `name`'s small model 2 epochs; a digest of its weights."""
    import hashlib

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    model = harness.small_model(name)
    harness.compile_model(model)
    x = harness.fake_batch(model, 48, seed=1)
    data = tf.data.Dataset.from_tensor_slices(harness.fit_data(model, x))
    model.fit(data.shuffle(48, seed=2).batch(16), epochs=2, verbose=0)
    digest = hashlib.sha256()
    for w in model.get_weights():
        digest.update(w.tobytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def digests():
    """`{preset: [digest, digest of a second run]}` (the first preset also
    with seed 1) from one subprocess (importing TensorFlow once)."""
    done = harness.run_quietly(
        [sys.executable, "-m", "tests.test_determinism", *ARCHITECTURES.values()],
        ROOT,
        timeout=1200,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_two_seeded_runs_end_with_identical_weights(architecture, digests):
    first, second, *other = digests[ARCHITECTURES[architecture]]
    assert first == second
    if other:  # the first architecture also ran with seed 1: the seed matters
        assert other[0] != first


if __name__ == "__main__":
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    print(
        json.dumps(
            {
                name: [_weights_digest(name, 0), _weights_digest(name, 0)]
                + ([_weights_digest(name, 1)] if name == sys.argv[1] else [])
                for name in sys.argv[1:]
            }
        )
    )
