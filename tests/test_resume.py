"""`train_preset(resume=True)` / `keras-gen train --resume`: a stopped run goes on
from its training state (every network's and optimizer's variables, the epoch)."""

import json

import keras
import numpy as np
import pytest

from keras_gen import cli, training

SMALL = dict(latent_dim=2, hidden_units=[16], discriminator_units=[8])
FEW = {"train_split": "train[:1000]", "train_examples": 1000, "batch_size": 100}


class StopAfter(keras.callbacks.Callback):
    """Raises after an epoch, as a session stopped mid-run would end it."""

    def __init__(self, epochs):
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epochs:
            raise KeyboardInterrupt(f"stopped after epoch {self.epochs}")


def _train(folder, mnist, epochs=3, **kwargs):
    return training.train_preset(
        "aae_mnist",
        folder,
        epochs=epochs,
        data_dir=mnist,
        verbose=0,
        steps_per_execution=1,
        recipe_overrides=FEW,
        **SMALL,
        **kwargs,
    )


@pytest.mark.slow
def test_a_stopped_run_resumes_with_every_optimizer_state(mnist, tmp_path):
    keras.utils.set_random_seed(0)
    folder = tmp_path / "aae"
    with pytest.raises(KeyboardInterrupt):
        _train(folder, mnist, callbacks=[StopAfter(2)])
    stopped = json.loads((folder / "metadata.json").read_text())
    assert (folder / training.STATE_DIR / "training_metadata.json").exists()

    model, _ = _train(folder, mnist, resume=True)
    meta = json.loads((folder / "metadata.json").read_text())
    steps = 1000 // 100
    for name in model.optimizer_names:
        # 3 epochs of steps: the optimizers went on from their saved state.
        assert int(getattr(model, name).iterations.numpy()) == 3 * steps, name
    assert meta["epochs_done"] == 3 and meta["resumed_after_epochs"] == [2]
    assert meta["history"]["1"] == stopped["history"]["1"]
    assert meta["history"]["2"] == stopped["history"]["2"]
    assert meta["train_wall_time_s"] >= stopped["train_wall_time_s"]
    # Kept once training ended: a finished run can be extended.
    assert (folder / training.STATE_DIR / "training_metadata.json").exists()


@pytest.mark.slow
def test_a_finished_run_is_extended_by_resuming_with_more_epochs(mnist, tmp_path):
    keras.utils.set_random_seed(0)
    folder = tmp_path / "aae"
    _train(folder, mnist, epochs=2)
    first = json.loads((folder / "metadata.json").read_text())
    model, _ = _train(folder, mnist, epochs=3, resume=True)
    meta = json.loads((folder / "metadata.json").read_text())
    for name in model.optimizer_names:
        assert int(getattr(model, name).iterations.numpy()) == 3 * 10, name
    assert meta["epochs_done"] == 3 and meta["resumed_after_epochs"] == [2]
    assert meta["history"]["2"] == first["history"]["2"]
    assert "--epochs 3" in meta["train_command"]


@pytest.mark.slow
def test_a_fresh_run_ignores_a_stale_state(mnist, tmp_path):
    keras.utils.set_random_seed(0)
    folder = tmp_path / "aae"
    with pytest.raises(KeyboardInterrupt):
        _train(folder, mnist, callbacks=[StopAfter(1)])
    model, _ = _train(folder, mnist)  # no resume: starts again
    meta = json.loads((folder / "metadata.json").read_text())
    assert int(model.ae_optimizer.iterations.numpy()) == 3 * 10
    assert "resumed_after_epochs" not in meta
    assert sorted(meta["history"], key=int) == ["1", "2", "3"]


def test_resume_with_no_state_trains_from_the_start(mnist, tmp_path, capsys):
    keras.utils.set_random_seed(0)
    model, meta = training.train_preset(
        "ae_mnist",
        tmp_path / "ae",
        epochs=1,
        data_dir=mnist,
        verbose=0,
        resume=True,
        hidden_units=[8],
        latent_dim=2,
        recipe_overrides=FEW,
    )
    assert "training from the start" in capsys.readouterr().out
    assert meta["epochs_done"] == 1 and np.isfinite(meta["history"][1]["loss"])


def test_a_model_of_several_fits_refuses_to_resume(mnist, tmp_path):
    with pytest.raises(ValueError, match="cannot resume"):
        training.train_preset(
            "dcn_mnist", tmp_path / "dcn", data_dir=mnist, verbose=0, resume=True
        )


def test_cli_train_resume_reaches_the_trainer(monkeypatch, tmp_path):
    seen = {}

    def fake_train(name, out, **kwargs):
        seen.update(kwargs, name=name, out=out)
        return None, {"metrics": {}}

    monkeypatch.setattr(training, "train_preset", fake_train)
    out = str(tmp_path / "run")
    assert cli.main(["train", "ae_mnist", "--out", out, "--resume"]) in (0, None)
    assert seen["resume"] is True and seen["out"] == out
    cli.main(["train", "ae_mnist", "--out", out])
    assert seen["resume"] is False
