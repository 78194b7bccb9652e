"""Property-based tests (hypothesis): losses and divergences, corruptions, layers.

Each property is what the definition promises for *every* input, checked on inputs
hypothesis draws (extreme logits included); a counterexample is shrunk and printed.
"""

import math

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from keras_gen import divergences, losses
from keras_gen.data import corruption_map
from keras_gen.layers import (
    Maxout,
    MinibatchDiscrimination,
    VirtualBatchNormalization,
    set_reference_batch,
)

# Few examples each: the suite runs in CI on 2 cores; TensorFlow ops dominate.
PROPERTY = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

logits = hnp.arrays(
    np.float32,
    st.integers(1, 16),
    elements=st.floats(-1e4, 1e4, width=32, allow_nan=False, allow_infinity=False),
)


def distributions(n):
    return hnp.arrays(
        np.float64, n, elements=st.floats(0, 1e3, allow_nan=False)
    ).filter(lambda a: a.sum() > 1e-9)


pairs = st.integers(1, 12).flatmap(
    lambda n: st.tuples(distributions(n), distributions(n))
)


@PROPERTY
@given(logits, st.floats(0.0, 0.3))
def test_discriminator_loss_is_finite_and_non_negative_for_extreme_logits(x, smooth):
    real, fake = tf.constant(x), tf.constant(x[::-1].copy())
    loss = losses.minimax_discriminator_loss(real, fake, smooth).numpy()
    assert np.all(np.isfinite(loss)) and np.all(loss >= 0)


@PROPERTY
@given(logits)
def test_generator_losses_are_finite_and_signed_as_defined(x):
    saturating = losses.minimax_generator_loss(tf.constant(x)).numpy()
    modified = losses.modified_generator_loss(tf.constant(x)).numpy()
    # log(1 - D) <= 0 and -log D >= 0.
    assert np.all(np.isfinite(saturating)) and np.all(saturating <= 0)
    assert np.all(np.isfinite(modified)) and np.all(modified >= 0)


@PROPERTY
@given(
    hnp.arrays(
        np.float32,
        st.tuples(st.integers(1, 8), st.integers(2, 11)),
        elements=st.floats(-300, 300, width=32),
    )
)
def test_k_plus_one_losses_are_finite_non_negative_and_match_d(class_logits):
    real = losses.k_plus_one_real_loss(class_logits).numpy()
    fake = losses.k_plus_one_fake_loss(class_logits).numpy()
    assert np.all(np.isfinite(real)) and np.all(np.isfinite(fake))
    assert np.all(real >= 0) and np.all(fake >= 0)
    # -log D + log(1 - D) = -log Z: exp(-(real - fake)) is D / (1 - D) = Z.
    log_z = np.logaddexp.reduce(class_logits.astype(np.float64), axis=-1)
    np.testing.assert_allclose(fake - real, log_z, rtol=1e-4, atol=1e-3)


@PROPERTY
@given(pairs)
def test_jsd_is_symmetric_non_negative_and_at_most_log_2(pq):
    p, q = pq
    jsd = divergences.js_divergence(p, q)
    assert -1e-12 <= jsd <= math.log(2) + 1e-12
    assert jsd == pytest.approx(divergences.js_divergence(q, p), abs=1e-12)
    assert divergences.js_divergence(p, p) == pytest.approx(0.0, abs=1e-12)


@PROPERTY
@given(pairs)
def test_kl_is_non_negative_and_zero_on_itself(pq):
    p, q = pq
    assert divergences.kl_divergence(p, q) >= -1e-12
    assert divergences.kl_divergence(p, p) == pytest.approx(0.0, abs=1e-12)


@PROPERTY
@given(pairs, st.floats(-0.3, 0.3), st.integers(0, 11))
def test_optimal_discriminator_is_a_probability_and_attains_the_criterion(
    pq, shift, where
):
    p, q = pq
    d = divergences.optimal_discriminator(p, q)
    assert np.all((0 <= d) & (d <= 1))
    # It maximizes V(D, G): moving D at any one point where either density has
    # mass lowers the value (a wrong D*, e.g. q / (p + q), fails this).
    # (Masses below 1e-12 are left out: D* = p / (p + q) rounds to exactly 1
    # there, and V's log(1 - D) * q becomes -inf * 1e-309 in float64.)
    i = where % len(p)
    normal = np.all((p == 0) | (p > 1e-12)) and np.all((q == 0) | (q > 1e-12))
    if normal and p[i] + q[i] > 0 and shift != 0:
        other = d.copy()
        other[i] = np.clip(d[i] + shift, 1e-9, 1 - 1e-9)
        best = divergences.gan_value(p, q, d)
        assert best >= divergences.gan_value(p, q, other) - 1e-9
    # C(G) = -log 4 + 2 JSD at the optimal D (Goodfellow et al. 2014, theorem 1).
    criterion = divergences.virtual_training_criterion(p, q)
    expected = -math.log(4) + 2 * divergences.js_divergence(p, q)
    assert criterion == pytest.approx(expected, abs=1e-9)


images = hnp.arrays(
    np.float32, (64, 4, 4, 1), elements=st.floats(0, 1, width=32, allow_nan=False)
)


@PROPERTY
@given(images, st.sampled_from(["masking", "salt_and_pepper"]), st.floats(0, 1))
def test_corruptions_keep_the_range_and_touch_only_their_fraction(x, kind, level):
    corrupted, clean = corruption_map(kind, level, seed=0)(tf.constant(x))
    corrupted, clean = corrupted.numpy(), clean.numpy()
    np.testing.assert_array_equal(clean, x)
    assert corrupted.min() >= 0 and corrupted.max() <= 1
    changed = corrupted != x
    # Touched pixels are set to 0 (masking) or to 0 / 1: any other value is a bug.
    allowed = [0.0] if kind == "masking" else [0.0, 1.0]
    assert np.all(np.isin(corrupted[changed], allowed))
    # The touched fraction is at most `level` up to sampling noise (1,024 pixels).
    assert changed.mean() <= level + 4 * math.sqrt(0.25 / x.size) + 1e-9


@pytest.mark.parametrize("kind", ["masking", "salt_and_pepper"])
def test_corruptions_honour_their_fraction_on_many_pixels(kind):
    # Fraction of pixels drawn for noise, on pixels of 0.5 that any noise changes.
    x = tf.fill((64, 28, 28, 1), 0.5)
    for level in (0.1, 0.5, 0.9):
        corrupted, _ = corruption_map(kind, level, seed=1)(x)
        assert np.mean(corrupted.numpy() != 0.5) == pytest.approx(level, abs=0.01)


@PROPERTY
@given(
    hnp.arrays(np.float32, (5, 6), elements=st.floats(-5, 5, width=32)),
    st.permutations(range(5)),
)
def test_minibatch_features_follow_their_examples_and_count_copies(x, order):
    layer = MinibatchDiscrimination(num_kernels=3, kernel_dim=2)
    out = layer(x).numpy()
    # Permutation equivariant: o(x_i) depends on the set, not the order.
    shuffled = layer(x[list(order)]).numpy()
    np.testing.assert_allclose(shuffled, out[list(order)], rtol=1e-5, atol=1e-5)
    # Each o_b is sum_j exp(-d) with d = 0 for j = i: in [1, batch].
    closeness = out[:, 6:]
    assert np.all(closeness >= 1 - 1e-5) and np.all(closeness <= 5 + 1e-5)
    # n copies of one example give o = n in every kernel.
    copies = layer(np.repeat(x[:1], 4, axis=0)).numpy()[:, 6:]
    np.testing.assert_allclose(copies, 4.0, rtol=1e-5)


@PROPERTY
@given(
    hnp.arrays(np.float32, (8, 3), elements=st.floats(-10, 10, width=32)),
    hnp.arrays(np.float32, (4, 3), elements=st.floats(-10, 10, width=32)),
)
def test_vbn_output_of_an_example_does_not_depend_on_its_batch(reference, x):
    import keras

    inputs = keras.Input((3,))
    model = keras.Model(inputs, VirtualBatchNormalization()(inputs))
    assert set_reference_batch(model, reference) == 1
    together = model(x).numpy()
    alone = np.concatenate([model(x[i : i + 1]).numpy() for i in range(len(x))])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-5)
    assert np.all(np.isfinite(together))


@PROPERTY
@given(
    hnp.arrays(np.float32, (4, 5), elements=st.floats(-10, 10, width=32)),
    st.integers(1, 4),
    st.integers(1, 4),
)
def test_maxout_is_the_max_of_its_pieces(x, units, pieces):
    layer = Maxout(units, pieces=pieces)
    out = layer(x).numpy()
    kernel, bias = (w.numpy() for w in layer.weights)
    linear = (x @ kernel + bias).reshape(len(x), units, pieces)
    np.testing.assert_allclose(out, linear.max(-1), rtol=1e-5, atol=1e-4)
