"""Training a preset's recipe: compile, fit, checkpoints, finishing the preset folder.

`train_preset` builds a registered preset's model, compiles it with its recipe's
optimizers and trains it through the model's one training hook,
`model.fit_recipe(train, epochs=..., callbacks=..., recipe=...)` (layer-wise
pretraining, a clustering schedule or a fitted code distribution are the model's
business), writing the preset folder after every epoch; `finish_preset` then
measures the test metrics (`keras_gen.evaluation`) and writes the figures and the
model card (`keras_gen.cards`). `anomaly_auc` is the experiment of
`keras-gen evaluate --anomaly-digit`; `quickstart` is the README's first command.
"""

import copy
import json
import shutil
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from . import cards, data, distribute, evaluation, metrics, presets, zoo
from .callbacks import PresetCheckpoint
from .models import resume as resume_module
from .models.autoencoder import Autoencoder
from .models.resume import TrainingCheckpoint
from .plot import save_figure


def compile_preset(model, recipe, steps_per_execution=1):
    """Compiles a model with its recipe's optimizers.

    A model with one optimizer gets `recipe["optimizer"]` (a Keras optimizer
    config) or else Adam at `recipe["learning_rate"]`; a model with
    several (`optimizer_names`, e.g. a GAN's `d_optimizer` and `g_optimizer`) gets
    each from `recipe["optimizers"][name]`, a Keras optimizer config such as
    `{"class_name": "Adam", "config": {"learning_rate": 2e-4, "beta_1": 0.5}}`.
    `recipe["jit_compile"]` is passed on (XLA; measure before turning it on),
    except under a strategy with several replicas, where XLA stays off.
    """
    names = tuple(model.optimizer_names)
    if names == ("optimizer",) and "optimizer" in recipe:
        optimizers = {
            "optimizer": keras.optimizers.get(copy.deepcopy(recipe["optimizer"]))
        }
    elif names == ("optimizer",):
        optimizers = {
            "optimizer": keras.optimizers.Adam(recipe.get("learning_rate", 1e-3))
        }
    else:
        configs = recipe.get("optimizers", {})
        missing = [n for n in names if n not in configs]
        if missing:
            raise ValueError(
                f"The recipe must give optimizers for {list(names)}, missing {missing}."
            )
        # Deserializing rewrites nested configs in place; keep the recipe intact.
        optimizers = {n: keras.optimizers.get(copy.deepcopy(configs[n])) for n in names}
    jit = recipe.get("jit_compile", "auto")
    if model.distribute_strategy.num_replicas_in_sync > 1:
        # XLA cannot reach the other replicas' variables from one step under
        # MirroredStrategy (TensorFlow's "tf.Variable on a different device").
        jit = False
    model.compile(
        **optimizers, steps_per_execution=steps_per_execution, jit_compile=jit
    )
    return model


def recipe_epochs(name, recipe, epochs=None):
    """The epochs a run of `recipe` trains: `epochs`, the recipe's, or those of
    its clustering schedule (which refuses an explicit `epochs`)."""
    if "clustering" not in recipe:
        return epochs or recipe.get("epochs", 10)
    # Clustering runs its own schedule: pretraining, then alternation rounds.
    schedule = recipe["clustering"]
    if epochs is not None:
        raise ValueError(
            f"{name} trains on its clustering schedule {schedule}; --epochs "
            "does not apply to it."
        )
    return schedule["pretrain_epochs"] + schedule["rounds"] * schedule.get(
        "epochs_per_round", 1
    )


STATE_DIR = "training_state"
# Steps between two saves of the whole training state (a few seconds of work).
CHECKPOINT_STEPS = 200


def train_preset(
    name,
    out_dir,
    epochs=None,
    batch_size=None,
    data_dir=None,
    steps_per_execution=None,
    verbose=2,
    callbacks=(),
    seed=None,
    recipe_overrides=None,
    resume=False,
    strategy=None,
    checkpoint_steps=CHECKPOINT_STEPS,
    **overrides,
):
    """Trains a preset from scratch on its dataset and writes a preset folder.

    `steps_per_execution` defaults to the recipe's (measured per preset by
    `benchmarks/throughput.py --options`), else 50.
    Checkpoints the preset folder after every epoch, then measures the test metrics
    (the same function `keras-gen evaluate` runs) and writes the model card.
    `seed` replaces the model's seed and, for a semi-supervised recipe, the seed
    that draws the labelled subset, for runs over several seeds.
    `recipe_overrides` replaces recipe entries (its `semi_supervised` dict is
    merged into the recipe's, e.g. `{"semi_supervised": {"labelled_per_class":
    2}}`); the metadata records the recipe the run used.
    Every `checkpoint_steps` steps and every epoch also writes the whole training
    state (every network's and optimizer's variables, averages, seed generators,
    the position in the epoch) to `out_dir/training_state/`
    (`callbacks.TrainingCheckpoint`); `resume=True` continues a stopped run from
    it, from the next batch of the stopped epoch (give the same arguments as the
    stopped run; a run with no state there starts afresh), and without it a
    stale state is deleted. The
    state is kept once training ends, so that `resume=True` with more `epochs`
    extends a finished run. A state of an earlier version (Keras'
    `BackupAndRestore`, per epoch) is resumed from the next epoch.
    `strategy` (a `tf.distribute.Strategy` or a `keras_gen.distribute` name such
    as `"mirrored"`) builds and compiles the model in its scope; the batch size is
    the global one.

    Returns:
        The trained model and its metadata.
    """
    # First: a multi-worker strategy must be made before TensorFlow's runtime starts.
    strategy = distribute.resolve_strategy(strategy)
    preset = zoo.get_preset(name)
    given = dict(overrides)
    recipe = dict(preset.recipe)
    for key, value in dict(recipe_overrides or {}).items():
        if key == "semi_supervised" and key in recipe:
            value = recipe[key] | value
        recipe[key] = value
    if seed is not None:
        overrides["seed"] = int(seed)
        recipe = recipe | {"seed": int(seed)}
        if "semi_supervised" in recipe:
            recipe["semi_supervised"] = recipe["semi_supervised"] | {"seed": int(seed)}
    epochs = recipe_epochs(name, recipe, epochs)
    batch_size = batch_size or recipe.get("batch_size", 128)
    data.prepare(preset.dataset, data_dir=data_dir)
    train_split = recipe.get("train_split", "train")
    train = evaluation.preset_dataset(
        preset,
        train_split,
        batch_size,
        data_dir,
        supervised=recipe.get("supervised", False),
        training=True,
        recipe=recipe,
    )
    train_examples = recipe.get("train_examples", 60000)
    with strategy.scope():
        model = zoo.create_model(name, **overrides)
        spe = steps_per_execution or recipe.get("steps_per_execution", 50)
        compile_preset(model, recipe, spe)
        # Every optimizer's slots exist before a state is loaded into them.
        model._build_optimizers()
    run = recipe | {"epochs": epochs, "batch_size": batch_size}
    backup, earlier = _training_state(Path(out_dir), model, resume, checkpoint_steps)

    def training_metadata(history, wall):
        return (
            {
                "preset": name,
                "dataset": preset.dataset,
                "train_split": f"{train_split} ({train_examples:,} images)",
                "recipe": run,
                "train_command": f"keras-gen train {name}"
                + ("" if "clustering" in recipe else f" --epochs {epochs}")
                + ("" if seed is None else f" --seed {seed}")
                + (
                    f" (recipe changed in Python: {json.dumps(recipe_overrides)})"
                    if recipe_overrides
                    else ""
                )
                + (
                    f" (constructor overrides in Python: {json.dumps(given)})"
                    if given
                    else ""
                ),
                "dtype_policy": model.dtype_policy.name,
                "steps_per_execution": spe,
                "train_wall_time_s": round(wall, 1),
                "train_images_per_s": round(len(history) * train_examples / wall),
                "epochs_done": len(history),
                "history": history,
            }
            | (
                {"resumed_after_epochs": earlier["resumed"]}
                if earlier["resumed"]
                else {}
            )
            | (
                {"strategy": type(strategy).__name__, "replicas": replicas}
                if (replicas := strategy.num_replicas_in_sync) > 1
                else {}
            )
        )

    write = distribute.worker_folder(out_dir)  # `out_dir`, but on the chief only
    checkpoint = PresetCheckpoint(
        write, training_metadata, earlier["history"], earlier["wall"]
    )
    model.fit_recipe(
        train,
        epochs=epochs,
        callbacks=[backup, checkpoint, *callbacks],
        verbose=verbose,
        recipe=run,
    )
    metadata = training_metadata(checkpoint.history, checkpoint.elapsed())
    return finish_preset(name, write, data_dir, model, metadata)


def _training_state(out_dir, model, resume, every_steps=None):
    """The checkpoint callback of a run into `out_dir` and what a resumed run
    continues: the history and wall time of the epochs its state holds, and the
    epochs after which earlier runs were resumed.

    The callback is a `TrainingCheckpoint` (the whole state every `every_steps`
    steps, so a killed run resumes inside its epoch). A state written by the
    epoch-level `BackupAndRestore` of earlier versions (`latest.weights.h5`) is
    still resumed with that callback, from the start of the next epoch."""
    state = out_dir / STATE_DIR
    earlier = {"history": {}, "wall": 0.0, "resumed": []}
    if resume and not getattr(model, "resumable", True):
        raise ValueError(
            f"{type(model).__name__} trains in several fit calls and cannot resume; "
            "train it again without resume."
        )
    legacy = (state / "latest.weights.h5").exists() and not (
        state / resume_module.STATE_FILE
    ).exists()
    if not resume:
        if distribute.is_chief():
            shutil.rmtree(state, ignore_errors=True)
        legacy = False
    elif (state / "training_metadata.json").exists():
        info = json.loads((state / "training_metadata.json").read_text())
        epoch = info["epoch"]  # epochs done (and batches done in the next one)
        meta = presets.read_metadata_file(out_dir)
        history = {k: v for k, v in meta.get("history", {}).items() if int(k) <= epoch}
        earlier = {
            "history": history,
            "wall": meta.get("train_wall_time_s", 0.0),
            "resumed": [*meta.get("resumed_after_epochs", []), epoch],
        }
        batch = info.get("batch") or 0
        at = f" and {batch} batches" if batch else ""
        print(f"resuming {out_dir} after epoch {epoch}{at}", flush=True)
    else:
        print(f"no training state in {state}: training from the start", flush=True)
    if legacy:
        return keras.callbacks.BackupAndRestore(str(state), delete_checkpoint=False), (
            earlier
        )
    # Kept after the last epoch: a finished run can be extended with more epochs.
    every_steps = every_steps or CHECKPOINT_STEPS
    return TrainingCheckpoint(state, every_steps=every_steps, resume=resume), earlier


def _test_arrays(data_dir):
    x, y = data.load_numpy("mnist", "test", data_dir=data_dir)
    return x.astype("float32") / 255.0, y


def finish_preset(
    name, out_dir, data_dir=None, model=None, metadata=None, measure=True
):
    """Measures a trained preset's test metrics and writes its metadata, sample
    picture and card. `train_preset` ends with it; called alone, it finishes the
    checkpoint in `out_dir` (weights and training metadata written every epoch).
    `measure=False` keeps the metrics already in the folder's metadata and only
    redraws the pictures and the card.

    Returns:
        The model and its metadata.
    """
    out_dir = Path(out_dir)
    if model is None:
        model = presets.load_preset_folder(out_dir)
        metadata = presets.read_metadata_file(out_dir)
    preset = zoo.get_preset(name)
    # A recipe may store its weights in float16 (the zoo's size budget): round
    # them first so the metrics are those of the stored weights.
    weights_dtype = preset.recipe.get("weights_dtype")
    presets.round_weights(model, weights_dtype)
    if measure:
        metadata = evaluation.measure(name, model, metadata, data_dir)
    metadata = model.save_to_preset(out_dir, metadata, weights_dtype)
    x, y = next(
        iter(
            evaluation.preset_dataset(
                preset, "test", 16, data_dir, shuffle=False, supervised=True
            )
        )
    )
    cards.write_figures(
        model,
        out_dir,
        x.numpy(),
        y.numpy(),
        lambda: _test_arrays(data_dir),
        preset.recipe,
    )
    cards.write_card(name, out_dir)
    return model, metadata


def quickstart(out_dir="outputs/quickstart", epochs=2, data_dir=None):
    """The README's main job: prepare MNIST offline, train a small autoencoder
    briefly, write a PNG of test digits, reconstructions and samples."""
    data.prepare("mnist", data_dir=data_dir)
    train = data.load("mnist", "train", 128, data_dir=data_dir, supervised=False)
    test = data.load("mnist", "test", 500, data_dir=data_dir, supervised=False)
    model = Autoencoder(latent_dim=16, hidden_units=(256,), seed=0)
    model.compile(keras.optimizers.Adam(1e-3), steps_per_execution=50)
    start = time.perf_counter()
    model.fit(train, epochs=epochs, verbose=2)
    model.fit_code_distribution(train, max_batches=100)
    values = evaluation.evaluate(model, test)
    print(
        f"trained {epochs} epochs in {time.perf_counter() - start:.1f} s; test "
        f"BCE {values['bce']:.2f} nats/image, MSE {values['mse']:.4f}/pixel"
    )
    x = next(iter(test)).numpy()[:16]
    path = save_figure(Path(out_dir) / "samples.png", cards.panels(model, x), ncols=4)
    print(f"wrote {path.resolve()}")
    return path


def anomaly_auc(name, digit, epochs=5, batch_size=128, data_dir=None, seed=0):
    """Trains a preset's architecture on MNIST train digits other than `digit`,
    then returns the ROC-AUC of its anomaly score for finding `digit` in the test split.

    Returns:
        Dict with `digit`, `roc_auc`, `epochs`, `train_images`.
    """
    if isinstance(digit, bool) or int(digit) != digit or not 0 <= digit <= 9:
        raise ValueError(f"anomaly digit must be an integer in 0..9, got {digit!r}.")
    preset = zoo.get_preset(name)
    if "reconstruction" not in evaluation.capabilities(preset.model_class):
        raise ValueError(f"{name} has no anomaly_score.")
    x, y = data.load_numpy(preset.dataset, "train", data_dir=data_dir)
    x = x[y != digit].astype("float32") / 255.0
    ds = (
        tf.data.Dataset.from_tensor_slices(x)
        .shuffle(len(x), seed=seed)
        .batch(batch_size)
        .cache()
        .prefetch(tf.data.AUTOTUNE)
    )
    model = zoo.create_model(name, seed=seed)
    model.compile(
        keras.optimizers.Adam(preset.recipe.get("learning_rate", 1e-3)),
        steps_per_execution=50,
    )
    model.fit(ds, epochs=epochs, verbose=0)
    xt, yt = data.load_numpy(preset.dataset, "test", data_dir=data_dir)
    xt = xt.astype("float32") / 255.0
    scores = np.concatenate(
        [model.anomaly_score(xt[i : i + 1000]) for i in range(0, len(xt), 1000)]
    )
    return {
        "digit": int(digit),
        "roc_auc": metrics.roc_auc(scores, yt == digit),
        "epochs": epochs,
        "train_images": int(len(x)),
    }
