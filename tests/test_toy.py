"""Toy mixtures, mode coverage and the non-converging bilinear game."""

import numpy as np
import pytest

from keras_gen import toy


def test_ring_samples_sit_on_their_modes_and_cover_all_of_them():
    x = toy.ring_of_gaussians(2500, seed=0)
    assert x.shape == (2500, 2) and x.dtype == np.float32
    result = toy.mode_coverage(x, toy.ring_modes(), std=0.02)
    assert result["modes_covered"] == 8
    assert result["high_quality"] > 0.98  # 3 std in 2-D holds 98.9 %
    assert sum(result["counts"]) == pytest.approx(2500 * result["high_quality"])


def test_collapsed_and_noisy_generators_are_told_apart():
    centres = toy.grid_modes()
    assert centres.shape == (25, 2) and np.allclose(centres.mean(0), 0)
    collapsed = toy.mixture_samples(1000, centres[:1], 0.05, seed=1)
    result = toy.mode_coverage(collapsed, centres, std=0.05)
    assert result["modes_covered"] == 1 and result["high_quality"] > 0.95
    noise = np.random.default_rng(2).uniform(-5, 5, (1000, 2))
    result = toy.mode_coverage(noise, centres, std=0.05)
    assert result["high_quality"] < 0.1
    strict = toy.mode_coverage(noise, centres, std=0.05, min_samples=10)
    assert strict["modes_covered"] < result["modes_covered"]


def test_simultaneous_gradient_play_on_xy_spirals_out():
    lr = 0.1
    path = toy.bilinear_game(100, lr)
    radius = np.linalg.norm(path, axis=1)
    assert np.all(np.diff(radius) > 0)  # never approaches (0, 0)
    np.testing.assert_allclose(radius[-1] / radius[0], (1 + lr**2) ** 50, rtol=1e-9)


def test_alternating_play_stays_bounded_but_does_not_converge():
    path = toy.bilinear_game(1000, 0.1, alternating=True)
    radius = np.linalg.norm(path, axis=1)
    assert radius.max() < 1.2 * radius[0] and radius[-200:].min() > 0.8 * radius[0]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: toy.bilinear_game(0), "steps must be a positive integer"),
        (lambda: toy.bilinear_game(5, lr=-1), "lr must be > 0"),
        (lambda: toy.ring_of_gaussians(10, std=0), "std must be > 0"),
        (lambda: toy.mode_coverage(np.zeros((3, 3)), toy.ring_modes(), 0.1), "N, 2"),
    ],
)
def test_toy_arguments_are_checked(call, message):
    with pytest.raises(ValueError, match=message):
        call()
