"""The registry: presets by name, created with verified weights, the shipped zoo."""

import ast
import inspect
import json
import re
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gen import (
    VAE,
    WGANGP,
    Autoencoder,
    ConditionalGAN,
    SemiSupervisedAAE,
    SemiSupervisedVAE,
    evaluation,
    presets,
    recipes,
    zoo,
)
from keras_gen.cli import evaluate_preset

from .test_plot import decoded


@pytest.fixture
def tmp_zoo(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_GEN_ZOO", str(tmp_path))
    return tmp_path


def _trained_small(seed=3):
    model = zoo.create_model("ae_mnist", hidden_units=(32,), latent_dim=8, seed=seed)
    x = np.random.default_rng(seed).uniform(0, 1, (64, 28, 28, 1)).astype("float32")
    model.compile(keras.optimizers.Adam(1e-3))
    model.fit(x, epochs=1, batch_size=32, verbose=0)
    return model, x


def test_unknown_preset_names_the_closest_registered_ones():
    with pytest.raises(ValueError, match="did you mean ae_mnist"):
        zoo.create_model("ae_mnst")
    with pytest.raises(ValueError, match="'no_such_model': .*keras-gen list"):
        zoo.create_model("no_such_model")


def test_architecture_names_are_snake_case_class_names():
    assert zoo.architecture_name(VAE) == "vae"
    assert zoo.architecture_name(ConditionalGAN) == "conditional_gan"
    assert zoo.architecture_name(SemiSupervisedAAE) == "semi_supervised_aae"
    assert zoo.architecture_name(WGANGP) == "wgan_gp"
    assert zoo.get_architecture("conditional_gan") is ConditionalGAN
    with pytest.raises(ValueError, match="'dcgam': did you mean dcgan"):
        zoo.get_architecture("dcgam")


def test_list_models_filters_by_pattern_and_weights(tmp_zoo):
    assert zoo.list_models("ae*") == ["ae2d_mnist", "ae_mnist"]
    assert zoo.list_models("*ae_mnist") == [
        "aae_mnist",
        "ae_mnist",
        "cae_mnist",
        "conv_ae_mnist",
        "cvae_mnist",
        "dae_mnist",
        "scae_mnist",
        "stochastic_cae_mnist",
        "supervised_aae_mnist",
        "vae_mnist",
    ]
    assert zoo.list_models("vae*") == ["vae2d_mnist", "vae_mnist"]
    assert zoo.list_models("wae*") == []
    assert zoo.list_models(pretrained=True) == []  # the temporary zoo is empty
    assert "ae_mnist" in zoo.list_models(pretrained=False)


def test_create_model_applies_overrides():
    model = zoo.create_model("ae_mnist", latent_dim=5)
    assert isinstance(model, Autoencoder)
    assert model.encoder.output_shape == (None, 5)


def test_pretrained_without_weights_is_a_clear_error(tmp_zoo):
    with pytest.raises(ValueError, match="no pretrained weights"):
        zoo.create_model("ae_mnist", pretrained=True)


def test_saved_preset_is_created_by_name_with_its_weights(tmp_zoo):
    model, x = _trained_small()
    model.save_to_preset(tmp_zoo / "ae_mnist", {"dataset": "mnist"})
    assert zoo.list_models(pretrained=True) == ["ae_mnist"]
    assert zoo.read_metadata("ae_mnist")["dataset"] == "mnist"
    assert zoo.read_metadata("vae_mnist") == {}
    loaded = zoo.create_model("ae_mnist", pretrained=True)
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6)
    assert isinstance(Autoencoder.from_preset("ae_mnist"), Autoencoder)


@pytest.fixture(scope="module")
def small_preset(tmp_path_factory):
    """A small ae_mnist preset folder and another architecture's weights file."""
    folder = tmp_path_factory.mktemp("small") / "ae_mnist"
    _trained_small()[0].save_to_preset(folder)
    other = tmp_path_factory.mktemp("other")
    zoo.create_model("ae_mnist", hidden_units=(16,), latent_dim=4).save_to_preset(other)
    return folder, other / presets.WEIGHTS_FILE


def _replace_weights(folder, source):
    """Puts another file in place of the weights, with its sha256 recorded."""
    shutil.copy(source, folder / presets.WEIGHTS_FILE)
    meta = json.loads((folder / presets.METADATA_FILE).read_text())
    meta["sha256"] = presets.sha256(folder / presets.WEIGHTS_FILE)
    (folder / presets.METADATA_FILE).write_text(json.dumps(meta))


def _flip_a_byte(path):
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    path.write_bytes(bytes(blob))


def _drop_sha256(folder):
    meta = json.loads((folder / presets.METADATA_FILE).read_text())
    del meta["sha256"]
    (folder / presets.METADATA_FILE).write_text(json.dumps(meta))


@pytest.mark.parametrize(
    "damage, file, what",
    [
        (
            lambda f, _: (f / presets.WEIGHTS_FILE).write_bytes(
                (f / presets.WEIGHTS_FILE).read_bytes()[:2000]
            ),
            presets.WEIGHTS_FILE,
            "failed its integrity check: expected sha256",
        ),
        (
            lambda f, _: _flip_a_byte(f / presets.WEIGHTS_FILE),
            presets.WEIGHTS_FILE,
            "failed its integrity check: expected sha256",
        ),
        (
            lambda f, other: _replace_weights(f, other),
            "",
            "do not fit the model",
        ),
        (
            lambda f, _: (f / presets.WEIGHTS_FILE).unlink(),
            presets.WEIGHTS_FILE,
            "has no pretrained weights:",
        ),
        (
            lambda f, _: _drop_sha256(f),
            presets.METADATA_FILE,
            "records no sha256 of the weights",
        ),
    ],
    ids=["truncated", "flipped byte", "other architecture", "missing", "no hash"],
)
def test_damaged_weights_are_refused_naming_preset_file_and_fault(
    tmp_zoo, small_preset, damage, file, what
):
    folder = tmp_zoo / "ae_mnist"
    shutil.copytree(small_preset[0], folder)
    damage(folder, small_preset[1])
    with pytest.raises(ValueError) as refused:
        zoo.create_model("ae_mnist", pretrained=True)
    message = str(refused.value)
    assert "'ae_mnist'" in message and what in message, message
    assert str(folder / file) in message, message


def test_a_preset_argument_naming_a_preset_gets_its_pretrained_model(
    tmp_zoo, monkeypatch
):
    vae = VAE(hidden_units=(16,), latent_dim=3, seed=1)
    vae(np.zeros((1, 28, 28, 1), "float32"))
    monkeypatch.setitem(
        zoo._PRESETS,
        "tiny_vae_mnist",
        zoo.Preset("tiny_vae_mnist", VAE, {}, "", "mnist", {}, {}),
    )
    vae.save_to_preset(tmp_zoo / "tiny_vae_mnist")
    small = dict(hidden_units=(16,), classifier_units=(16,), latent_dim=3)
    m2 = zoo.create_model("m2_mnist_100labels", m1="tiny_vae_mnist", **small)
    assert isinstance(m2.m1, VAE) and not m2.m1.trainable
    for a, b in zip(m2.m1.get_weights(), vae.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="zoo.create_model"):
        SemiSupervisedVAE(m1="tiny_vae_mnist", **small)


def test_moved_names_are_deprecated_aliases():
    for name in ("save_preset", "sha256", "compress_weights", "WeightsIntegrityError"):
        with pytest.warns(DeprecationWarning, match=f"keras_gen.presets.{name}"):
            assert getattr(zoo, name) is getattr(presets, name)
    with pytest.warns(DeprecationWarning, match="keras_gen.recipes.adam_cosine"):
        assert zoo.adam_cosine is recipes.adam_cosine
    with pytest.raises(AttributeError):
        zoo.no_such_name  # noqa: B018


def test_zoo_imports_no_model():
    # Module level: only presets; in functions: only the deprecated aliases.
    tree = ast.parse(inspect.getsource(zoo))
    module_level = {
        alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.level
        for alias in node.names
    }
    assert module_level == {"presets"}
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef) and function.name != "__getattr__":
            assert not any(
                isinstance(node, ast.Import | ast.ImportFrom)
                for node in ast.walk(function)
            ), function.name
    assert not any(
        isinstance(node, ast.Import)
        and node.names[0].name.startswith("keras_gen")
        or isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("keras_gen")
        for node in ast.walk(tree)
    )


def test_from_preset_checks_the_class(tmp_zoo):
    class Other(Autoencoder):
        pass

    with pytest.raises(TypeError, match="not a Other"):
        Other.from_preset("ae_mnist", pretrained=False)


def test_ae_mnist_is_shipped_with_weights():
    assert "ae_mnist" in zoo.list_models(pretrained=True)


def test_every_shipped_card_says_its_dtype_policy():
    for name in zoo.list_models(pretrained=True):
        policy = zoo.read_metadata(name)["dtype_policy"]
        assert policy in ("float32", "mixed_float16", "mixed_bfloat16"), name
        assert (
            f"Dtype policy: `{policy}`"
            in (zoo.preset_dir(name) / "README.md").read_text()
        )


def test_shipped_zoo_keeps_its_size_budget():
    """Under 150 MB in all, no weights file over 20 MiB (the brief's budget)."""
    names = zoo.list_models(pretrained=True)
    folders = [zoo.preset_dir(name) for name in names]
    total = sum(f.stat().st_size for d in folders for f in d.rglob("*") if f.is_file())
    assert total < 150e6, total
    for name, folder in zip(names, folders, strict=True):
        size = (folder / presets.WEIGHTS_FILE).stat().st_size
        assert size <= 20 * 2**20, (name, size)
        assert zoo.read_metadata(name)["weights_bytes"] == size, name


def _check_images(name):
    """Test images a card check measures: 2,000, or 500 for a preset measured on
    the importance-sampled NLL (k = 5,000 draws per image: 262 s for cvae_mnist on
    2,000 images, most of the suite's longest tests). The NLL's standard error on
    500 images is about 1 nat, against the 8 % (about 7 nats) tolerance."""
    preset = zoo.get_preset(name)
    kinds = evaluation.capabilities(preset.model_class, preset.recipe)
    return 500 if "likelihood" in kinds else 2000


# The README's bars, as absolute floors: `(metric, "<=" or ">=", bar, repeat)`.
# The card's value (the full test split) must meet the bar. The re-measurement here
# is of a fixed subset (the first 500 or 2,000 test images), whose value
# `benchmarks/card_noise.py` recorded (its subset 0): the bar moves by that subset's
# recorded gap to the card, and the re-measurement must meet it within `repeat`,
# the spread of measuring the same subset again. The images and their binarization
# are fixed, so only the importance samples of an NLL vary: vae_mnist's NLL of 100
# images measured 3 times (k=5000, `python benchmarks/nll_repeat.py vae_mnist`,
# benchmarks/results/nll_repeat.md) differed by 0.73 nats per image, 0.033 for a
# mean of 500, so 0.25 nats; the other metrics are deterministic (fixed noise, fixed
# images), so a rounding allowance. A vae_mnist at NLL 90 or a gan_mnist at Parzen
# 188 fails (their bars on the subset are 88.4 and 192.3).
BARS = {
    "vae_mnist": [("nll", "<=", 88.5, 0.25)],
    "m2_mnist_100labels": [("error", "<=", 0.05, 0.001)],
    "aae_gaussian_mnist": [("parzen_log_likelihood", ">=", 282.0, 0.5)],
    "gan_mnist": [("parzen_log_likelihood", ">=", 200.0, 0.5)],
    "dcgan_mnist": [
        ("min_class_fraction", ">=", 0.07, 0.002),
        ("max_class_fraction", "<=", 0.13, 0.002),
    ],
    "wgan_gp_mnist": [
        ("min_class_fraction", ">=", 0.07, 0.002),
        ("max_class_fraction", "<=", 0.13, 0.002),
    ],
}


def _subset_bar(name, metric, bar):
    """`bar` moved by the recorded gap between the test's subset and the card."""
    entry = CARD_NOISE[name]
    return bar + entry["values"][metric][0] - entry["card"][metric]


# Each card metric's spread over disjoint test subsets of the size re-measured here
# (`python benchmarks/card_noise.py`). Where it is measured, the re-measurement must
# lie within NOISE_SIGMAS of its standard deviations of the card (the gap between
# the first subset and all 10,000 images varies less than one subset from
# another), and within 0.1 % where the spread is 0 (samples from fixed noise).
CARD_NOISE = json.loads(
    (Path(__file__).parents[1] / "benchmarks/results/card_noise.json").read_text()
)
NOISE_SIGMAS = 5
# Statistics whose expectation moves with the number of images (a standard error,
# the MMD floor of n codes, a KS distance): their spread over subsets of one size
# says nothing of the gap to the card's 10,000; they keep the rules below.
SIZE_DEPENDENT = ("parzen_std_error", "prior_mmd2_floor", "prior_ks_max")


def _noise_tolerance(name, key, value):
    if key in SIZE_DEPENDENT:
        return None
    std = CARD_NOISE.get(name, {}).get("std", {}).get(key)
    if std is None:
        return None
    return max(NOISE_SIGMAS * std, 1e-3 * abs(value), 1e-6)


def _meets(value, op, bar, allowance=0.0):
    return value <= bar + allowance if op == "<=" else value >= bar - allowance


def test_card_noise_was_measured_on_todays_cards_at_the_size_used_here():
    assert CARD_NOISE, "benchmarks/results/card_noise.json holds no preset"
    for name, entry in CARD_NOISE.items():
        assert name in zoo.list_models(pretrained=True), name
        assert entry["subset_images"] == _check_images(name), name
        card = zoo.read_metadata(name)["metrics"]["values"]
        # A card measured again after the noise was measured: measure it again too.
        assert entry["card"] == {k: card[k] for k in entry["card"]}, name
        assert entry["subsets"] >= 4 and all(
            len(v) == entry["subsets"] for v in entry["values"].values()
        ), name


def test_every_card_metric_has_its_measured_noise():
    # Every shipped preset's card metrics (those whose expectation does not move
    # with the subset size) are re-measured to their own noise, not to a generic
    # tolerance: card_noise.json must cover each of them.
    for name in zoo.list_models(pretrained=True):
        card = zoo.read_metadata(name)["metrics"]["values"]
        assert name in CARD_NOISE, f"{name}: run benchmarks/card_noise.py"
        missing = [
            k
            for k in card
            if k not in SIZE_DEPENDENT and k not in CARD_NOISE[name]["std"]
        ]
        assert not missing, (name, missing)


def test_every_bar_names_a_shipped_metric():
    for name, bars in BARS.items():
        card = zoo.read_metadata(name)["metrics"]["values"]
        for metric, op, bar, _ in bars:
            assert metric in card, (name, metric)
            assert _meets(card[metric], op, bar), (name, metric, card[metric], bar)
            # The recorded subset meets the moved bar, with the card's margin.
            moved = _subset_bar(name, metric, bar)
            assert _meets(CARD_NOISE[name]["values"][metric][0], op, moved), name


def test_the_subset_bars_refuse_the_issues_examples_of_worse_weights():
    # The review's examples of re-measurements that passed the earlier allowances.
    assert not _meets(90.0, "<=", _subset_bar("vae_mnist", "nll", 88.5), 0.25)
    assert not _meets(
        188.0, ">=", _subset_bar("gan_mnist", "parzen_log_likelihood", 200.0), 0.5
    )
    assert not _meets(
        0.078, "<=", _subset_bar("m2_mnist_100labels", "error", 0.05), 0.001
    )


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("name", zoo.list_models(pretrained=True))
def test_shipped_preset_reproduces_its_card(name, mnist):
    meta = zoo.read_metadata(name)
    card = meta["metrics"]["values"]
    n = _check_images(name)
    measured = evaluate_preset(name, limit=n, data_dir=mnist)
    assert measured["examples"] == n
    for key, value in card.items():
        tolerance = _noise_tolerance(name, key, value)
        if tolerance is not None:
            assert abs(measured[key] - value) <= tolerance, (key, measured[key], value)
        elif key == "parzen_std_error":
            # std / sqrt(n): n test images against the card's 10,000.
            scaled = measured[key] * np.sqrt(n / 10000)
            assert scaled == pytest.approx(value, rel=0.2), key
        elif key == "loss" and meta["class"] == "Classifier":
            # Cross-entropy of a 99.5 % classifier: a few errors dominate a subset.
            assert measured[key] == pytest.approx(value, abs=0.01), key
        elif key.startswith("prior_mmd2"):
            # Unbiased MMD^2 near 0 (its floor is 0 +- 1e-4): absolute, for the
            # subset's codes against the card's 5,000.
            assert measured[key] == pytest.approx(value, abs=0.005), key
        elif key == "prior_ks_max":
            assert measured[key] == pytest.approx(value, abs=0.03), key
        elif key in ("accuracy", "error", "nmi", "ari"):
            # Scores of a subset against the 10,000 images the card used.
            assert measured[key] == pytest.approx(value, abs=0.04), key
        else:
            assert measured[key] == pytest.approx(value, rel=0.08), key
    for metric, op, bar, repeat in BARS.get(name, []):
        moved = _subset_bar(name, metric, bar)
        assert _meets(measured[metric], op, moved, repeat), (metric, measured, moved)
    readme = (zoo.preset_dir(name) / "README.md").read_text()
    assert f"keras-gen evaluate {name}" in readme
    assert f"{meta['sha256']}" in readme
    assert (zoo.preset_dir(name) / "samples.png").is_file()


@pytest.mark.parametrize("name", zoo.list_models(pretrained=True))
def test_every_shipped_card_embeds_pictures_that_decode(name):
    folder = zoo.preset_dir(name)
    pictures = re.findall(
        r"!\[[^\]]*\]\(([^)]+\.png)\)", (folder / "README.md").read_text()
    )
    assert pictures, f"{name}'s card embeds no picture"
    for picture in pictures:
        path = folder / picture
        assert path.is_file(), (name, picture)
        decoded(path, Image.open(path).size, ink=0.01)
