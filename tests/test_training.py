"""Training a recipe: the one `fit_recipe` hook, its overrides, the checkpoint."""

from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import Autoencoder, StackedAutoencoder, presets, training, zoo
from keras_gen.callbacks import PresetCheckpoint, WeightSnapshots


def _images(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (n, 28, 28, 1)).astype("float32")


def _small(name, **recipe):
    """A preset's test-sized model, compiled by its recipe, and the recipe."""
    preset = zoo.get_preset(name)
    model = zoo.create_model(name, **preset.test_overrides)
    recipe = preset.recipe | {"batch_size": 32} | recipe
    training.compile_preset(model, recipe)
    return model, recipe


def _train(n=64):
    return tf.data.Dataset.from_tensor_slices(_images(n)).batch(32)


class _Epochs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.count = 0

    def on_epoch_end(self, epoch, logs=None):
        self.count += 1


def test_default_hook_is_fit_with_the_callbacks():
    # XLA aside (the recipe turns it on): the hook is what is tested here.
    model, recipe = _small("vae_mnist", jit_compile=False)
    epochs = _Epochs()
    history = model.fit_recipe(
        _train(), epochs=2, callbacks=(epochs,), verbose=0, recipe=recipe
    )
    assert epochs.count == 2 and len(history.history["loss"]) == 2


def test_autoencoder_hook_fits_the_code_distribution_after_training():
    model, recipe = _small("ae_mnist")
    assert np.all(model.code_mean.numpy() == 0)
    model.fit_recipe(_train(), epochs=1, verbose=0, recipe=recipe)
    codes = model.encode(_images()).numpy()
    np.testing.assert_allclose(model.code_mean.numpy(), codes.mean(0), atol=1e-4)


def test_stacked_hook_pretrains_layerwise_on_the_training_images_first(monkeypatch):
    model, recipe = _small("scae_mnist", pretrain_epochs=1)
    calls = []
    pretrain = StackedAutoencoder.pretrain_layerwise

    def spy(self, x, **kwargs):
        calls.append((len(x), kwargs, self.optimizer.iterations.numpy()))
        return pretrain(self, x, **kwargs)

    monkeypatch.setattr(StackedAutoencoder, "pretrain_layerwise", spy)
    model.fit_recipe(_train(48), epochs=1, verbose=0, recipe=recipe)
    ((images, kwargs, steps_before),) = calls
    assert images == 48 and kwargs["epochs"] == 1 and kwargs["batch_size"] == 32
    assert steps_before == 0  # before fine-tuning
    assert model.optimizer.iterations.numpy() == 2  # then 2 fine-tuning steps


def test_stacked_hook_without_pretrain_epochs_only_fine_tunes(monkeypatch):
    model, recipe = _small("scae_mnist", pretrain_epochs=0)
    monkeypatch.setattr(
        StackedAutoencoder, "pretrain_layerwise", lambda *a, **k: pytest.fail()
    )
    model.fit_recipe(_train(), epochs=1, verbose=0, recipe=recipe)


def test_clustering_hook_runs_the_recipe_schedule_across_fit_calls(tmp_path):
    schedule = dict(pretrain_epochs=1, rounds=2, epochs_per_round=1, restarts=0)
    model, recipe = _small("dcn_mnist", clustering=schedule)
    checkpoint = PresetCheckpoint(tmp_path / "dcn", lambda history, wall: {})
    model.fit_recipe(
        _train(), epochs=None, callbacks=[checkpoint], verbose=0, recipe=recipe
    )
    # One pretraining epoch and two rounds, numbered across the three fit calls.
    assert list(checkpoint.history) == [1, 2, 3]
    assert "cluster" in checkpoint.history[3]
    assert model.clustering_on.numpy() == 1.0
    assert np.any(model.centroids.numpy() != 0)
    assert np.any(model.code_mean.numpy() != 0)  # the code distribution, too
    assert (tmp_path / "dcn" / presets.WEIGHTS_FILE).is_file()


def test_checkpoint_writes_the_preset_folder_and_its_metadata_every_epoch(tmp_path):
    model, recipe = _small("ae_mnist")
    seen = []

    def metadata(history, wall):
        seen.append(dict(history))
        return {"epochs_done": len(history), "wall": wall}

    checkpoint = PresetCheckpoint(tmp_path / "ae", metadata)
    assert isinstance(checkpoint, keras.callbacks.Callback)
    model.fit_recipe(
        _train(), epochs=2, callbacks=[checkpoint], verbose=0, recipe=recipe
    )
    assert [len(h) for h in seen] == [1, 2]
    assert set(seen[-1][2]) >= {"loss", "bce", "mse"}
    meta = presets.read_metadata_file(tmp_path / "ae")
    assert meta["epochs_done"] == 2 and meta["wall"] > 0
    loaded = presets.load_preset_folder(tmp_path / "ae")
    np.testing.assert_allclose(loaded(_images(4)), model(_images(4)), rtol=1e-5)


def test_clustering_schedule_sets_the_epoch_count_and_refuses_epochs():
    recipe = zoo.get_preset("dcn_mnist").recipe
    schedule = recipe["clustering"]
    expected = schedule["pretrain_epochs"] + schedule["rounds"]
    assert training.recipe_epochs("dcn_mnist", recipe, None) == expected
    with pytest.raises(ValueError, match="clustering schedule"):
        training.recipe_epochs("dcn_mnist", recipe, 3)
    assert training.recipe_epochs("ae_mnist", {"epochs": 7}, None) == 7
    assert training.recipe_epochs("ae_mnist", {"epochs": 7}, 2) == 2


def test_training_code_asks_models_nothing_by_hasattr():
    root = Path(training.__file__).parent
    for module in ("training", "evaluation", "cards", "callbacks", "cli"):
        source = (root / f"{module}.py").read_text()
        assert "hasattr(" not in source, module


def test_weight_snapshots_copy_the_chosen_epochs(tmp_path):
    model = Autoencoder(latent_dim=2, hidden_units=(8,), seed=0)
    model.compile(keras.optimizers.Adam(1e-2))
    x = np.random.default_rng(0).uniform(0, 1, (32, 28, 28, 1)).astype("float32")
    snapshots = WeightSnapshots(tmp_path / "s", [1, 3])
    model.fit(x, epochs=3, batch_size=16, verbose=0, callbacks=[snapshots])
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        "epoch_1.weights.h5",
        "epoch_3.weights.h5",
    ]
    final = model.get_weights()
    model.load_weights(tmp_path / "s" / "epoch_1.weights.h5")
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(final, model.get_weights(), strict=True)
    )
    model.load_weights(tmp_path / "s" / "epoch_3.weights.h5")
    for a, b in zip(final, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
