"""Training any registered architecture (or a preset's networks) on any image
dataset: what `keras-gen train NAME --dataset NAME_OR_PATH` runs.

`train(name, dataset, out_dir)` builds the model for the dataset's shape and
classes (`keras_gen.data.info`): an architecture name (`keras-gen list
--architectures`) gets its class's default networks, a preset name its preset's
constructor arguments; either trains with the optimizers and schedule of its
recipe (an architecture: the recipe of its first preset by name). Entries that
describe MNIST runs (the 50,000-image split, binarization, metrics on the MNIST
classifier's features, card notes) are dropped: images are scaled to [0, 1].

While it trains, TensorBoard logs go to `out_dir/logs` (the loss curves, and a
grid of samples, or of reconstructions for a model that does not sample, every
epoch; the grids also go to `out_dir/grids/` as PNG), the preset folder and the
whole training state are written after every epoch (`resume=True` continues),
and at the end the model is measured on held-out images and the folder gets its
pictures and a card. `keras_gen.zoo.create_model(out_dir)` loads it.
"""

import inspect
import shlex
from pathlib import Path

import keras
import numpy as np

from . import cards, data, distribute, evaluation, presets, training, zoo
from .callbacks import PresetCheckpoint, SampleGrid
from .plot import save_history

# Recipe entries about MNIST runs, not carried to another dataset.
MNIST_ONLY = (
    "train_split",
    "train_examples",
    "data",
    "test_data",
    "evaluations",
    "sample_metrics",
    "supervised_metrics",
    "metric_notes",
    "weights_dtype",
)
# Evaluations that need what a custom dataset may lack (names from training
# labels), left to the presets' own commands.
SKIPPED_EVALUATIONS = ("named_clusters",)


def resolve(name):
    """`(model_class, config, recipe, preset_name)` of an architecture or preset
    name (`preset_name` None for an architecture), or a one-line `ValueError`
    naming the closest names of both kinds."""
    if name in zoo.list_models():
        preset = zoo.get_preset(name)
        # A preset argument names another pretrained (MNIST) model: dropped, so
        # the class builds its own networks for this dataset.
        config = {k: v for k, v in preset.config.items() if k not in preset.preset_args}
        return preset.model_class, config, dict(preset.recipe), name
    classes = {zoo.architecture_name(c): c for c in zoo.list_architectures()}
    if name not in classes:
        raise zoo._unknown(
            "architecture or preset",
            name,
            sorted(classes) + zoo.list_models(),
            "keras-gen list --architectures` or `keras-gen list",
        )
    cls = classes[name]
    reference = next(
        n for n in zoo.list_models() if zoo.get_preset(n).model_class is cls
    )
    return cls, {}, dict(zoo.get_preset(reference).recipe), None


def data_arguments(model_class, info):
    """The constructor arguments that fit `model_class` to a dataset's `info`:
    `input_shape`, and `num_classes` (or `num_clusters`) when it has classes."""
    if info.shape is None or None in tuple(info.shape):
        raise ValueError(
            f"The images of {info.name} have different sizes {info.shape}; give "
            "one size with image_size=(H, W) (--image-size H W)."
        )
    params = inspect.signature(model_class.__init__).parameters
    arguments = {"input_shape": tuple(int(d) for d in info.shape)}
    for key in ("num_classes", "num_clusters"):
        if key in params and info.num_classes:
            arguments[key] = int(info.num_classes)
    return arguments


def build(name, info, **overrides):
    """The model `name` (architecture or preset) built for the dataset `info`
    describes; `overrides` replace constructor arguments.

    Raises:
        ValueError: A model that takes labels on a dataset without classes.
    """
    cls, config, _, _ = resolve(name)
    model = cls(**(config | data_arguments(cls, info) | overrides))
    if model.takes_labels and not info.num_classes:
        raise ValueError(
            f"{name} trains on labelled images, and {info.name} has no classes: "
            "give a folder with one sub-folder of images per class."
        )
    return model


def _recipe(recipe, epochs, batch_size):
    run = {k: v for k, v in recipe.items() if k not in MNIST_ONLY}
    run["epochs"] = training.recipe_epochs("this run", run, epochs)
    run["batch_size"] = int(batch_size or run.get("batch_size", 128))
    return run


def _loader(dataset, options):
    def load(split, batch_size, subset=None, **kwargs):
        opts = dict(options)
        if subset is None or opts.get("validation") is None:
            opts.pop("validation", None)
        else:
            opts["subset"] = subset
        return data.load(dataset, split, batch_size, **opts, **kwargs)

    return load


def _eval_split(info, validation):
    """`(split, subset, description)` the finished model is measured on."""
    if "test" in (info.num_examples or {}):
        return "test", None, "test split"
    if validation:
        return "train", "validation", f"held-out {validation} of the images"
    return "train", None, "training images (no validation split was held out)"


def train(
    name,
    dataset,
    out_dir=None,
    epochs=None,
    batch_size=None,
    image_size=None,
    channels=None,
    validation=0.1,
    data_dir=None,
    seed=0,
    resume=False,
    verbose=1,
    steps_per_execution=1,
    evaluation_samples=10000,
    likelihood_samples=1000,
    command=None,
    strategy=None,
    checkpoint_steps=training.CHECKPOINT_STEPS,
    **overrides,
):
    """Trains architecture or preset `name` on `dataset` and writes a preset folder.

    Args:
        name: An architecture (`vae`, `dcgan`, ...) or a preset (`vae_mnist`).
        dataset: A TFDS image dataset name or a folder of images (see
            `keras_gen.data.load`).
        out_dir: The preset folder (default `runs/NAME`).
        epochs, batch_size: Default the recipe's.
        image_size: `(H, W)` to resize to; channels: 1 or 3 to convert to.
        validation: Fraction or count of the training images held out and
            measured at the end (a dataset with a test split is measured on
            it); 0 or None holds none out.
        seed: Seed of the model, the shuffling and the held-out choice.
        resume: Continue a stopped run in `out_dir` (the same arguments), from
            the next batch after its last saved state.
        checkpoint_steps: Steps between saves of the whole training state
            (`callbacks.TrainingCheckpoint`; each epoch's end saves too).
        verbose: Keras' `fit` verbosity (1: a progress bar).
        evaluation_samples: Samples drawn to measure a model that samples.
        likelihood_samples: Importance samples per image of a VAE's
            log-likelihood (the MNIST presets use 5,000).
        command: The command line recorded in the metadata.
        strategy: A `tf.distribute.Strategy` or a `keras_gen.distribute` name
            (`"mirrored"`, `"multi_worker"`, ...): the model is built and
            compiled in its scope; `batch_size` is the global batch.
        **overrides: Constructor arguments, e.g. `network="conv"`.

    Returns:
        The trained model and its metadata.
    """
    # First: a multi-worker strategy must be made before TensorFlow's runtime starts.
    strategy = distribute.resolve_strategy(strategy)
    out = Path(out_dir or f"runs/{name}")
    write = distribute.worker_folder(out)  # `out`, but on the chief only
    cls, _, recipe, preset = resolve(name)
    image_size = None if image_size is None else tuple(int(s) for s in image_size)
    info = data.info(
        dataset, data_dir=data_dir, image_size=image_size, channels=channels
    )
    keras.utils.set_random_seed(int(seed))
    with strategy.scope():
        model = build(name, info, **({"seed": int(seed)} | overrides))
    run = _recipe(recipe, epochs, batch_size)
    validation = validation or None
    options = {
        "data_dir": data_dir,
        "image_size": image_size,
        "channels": channels,
        "validation": validation,
        "validation_seed": int(seed),
    }
    load = _loader(dataset, options)
    labelled = bool(info.num_classes)
    if "semi_supervised" in run:
        semi = {k: v for k, v in options.items() if v is not None and k != "validation"}
        if validation:
            semi |= {"validation": validation, "subset": "training"}
        train_ds = data.load_semi_supervised(
            dataset, "train", run["batch_size"], **run["semi_supervised"], **semi
        )
    else:
        train_ds = load(
            "train",
            run["batch_size"],
            "training",
            shuffle=True,
            seed=int(seed),
            supervised=model.takes_labels or bool(run.get("supervised")),
        )
    train_examples = sum(
        int(b.shape[0]) for b in _plain(load("train", 1000, "training"))
    )
    with strategy.scope():
        training.compile_preset(model, run, steps_per_execution)
        model._build_optimizers()
    backup, earlier = training._training_state(out, model, resume, checkpoint_steps)
    split, subset, measured_on = _eval_split(info, validation)
    first = next(iter(load(split, 16, subset, shuffle=False, supervised=labelled)))
    x16, y16 = (
        (first[0].numpy(), first[1].numpy()) if labelled else (first.numpy(), None)
    )
    logs = write / "logs"
    command = command or _command(name, dataset, out, run, image_size, channels, seed)

    def metadata(history, wall):
        return {
            "architecture": zoo.architecture_name(cls),
            "preset_networks": preset,
            "dataset": str(dataset),
            "data_options": {
                "image_size": image_size,
                "channels": channels,
                "validation": validation,
                "validation_seed": int(seed),
            },
            "data_info": {
                "shape": list(model.data_shape),
                "num_classes": info.num_classes,
                "class_names": info.class_names,
            },
            "train_split": f"train ({train_examples:,} images)",
            "recipe": run,
            "constructor_overrides": {k: repr(v) for k, v in overrides.items()},
            "train_command": command,
            "strategy": type(strategy).__name__,
            "replicas": strategy.num_replicas_in_sync,
            "dtype_policy": model.dtype_policy.name,
            "steps_per_execution": steps_per_execution,
            "train_wall_time_s": round(wall, 1),
            "train_images_per_s": round(
                len(history) * train_examples / max(wall, 1e-9)
            ),
            "epochs_done": len(history),
            "history": history,
        } | ({"resumed_after_epochs": earlier["resumed"]} if earlier["resumed"] else {})

    checkpoint = PresetCheckpoint(write, metadata, earlier["history"], earlier["wall"])
    grid = _sample_grid(model, write, logs, x16, y16)
    tensorboard = keras.callbacks.TensorBoard(str(logs), write_graph=False)
    model.fit_recipe(
        train_ds,
        epochs=run["epochs"],
        callbacks=[backup, checkpoint, tensorboard, *([grid] if grid else [])],
        verbose=verbose,
        recipe=run,
    )
    meta = metadata(checkpoint.history, checkpoint.elapsed())
    eval_ds = load(split, 500, subset, shuffle=False, supervised=labelled)
    reference = load("train", 500, "training", shuffle=False).take(2)
    meta["metrics"] = {
        "split": measured_on,
        "command": f"keras-gen evaluate {out}",
        "values": measure(
            model, eval_ds, reference, labelled, evaluation_samples, likelihood_samples
        ),
    }
    meta = model.save_to_preset(write, meta)

    def eval_arrays():
        batches = list(_plain(eval_ds)) if not labelled else list(eval_ds)
        x = np.concatenate([np.asarray(b[0] if labelled else b) for b in batches])
        y = np.concatenate([np.asarray(b[1]) for b in batches]) if labelled else None
        return x, y

    cards.write_figures(model, write, x16, y16, eval_arrays, run)
    save_history(meta["history"], write / "curves.png")
    cards.write_run_card(write)
    return model, meta


def _plain(ds):
    """The images of a dataset of images or `(images, labels)` batches."""
    return ds.map(lambda *b: b[0])


def _sample_grid(model, out, logs, x, y):
    """A `SampleGrid` of samples (fixed noise) or, for a model that only
    reconstructs, of the fixed images `x` and their reconstructions."""
    if cards.samples(type(model)):
        return SampleGrid(out / "grids", n=64, log_dir=logs / "images")
    if hasattr(model, "reconstruct"):
        labels = y if model.takes_labels else None
        return SampleGrid(
            out / "grids",
            images=x,
            labels=labels,
            log_dir=logs / "images",
            name="reconstructions",
        )
    return None


def measure(model, dataset, reference, labelled=True, samples=10000, importance=1000):
    """The metrics of `model`'s evaluations on `dataset`: Parzen windows on
    `samples` samples for a model that samples (sigma chosen on the `reference`
    images), a VAE's log-likelihood with `importance` samples per image."""
    kinds = [
        k for k in evaluation.capabilities(type(model)) if k not in SKIPPED_EVALUATIONS
    ]
    if not labelled:
        kinds = [k for k in kinds if k not in ("classes", "clusters")]
    values = evaluation.evaluate(
        model,
        dataset,
        kinds,
        validation=reference,
        metrics=("parzen",),
        n=int(samples),
        num_samples=int(importance),
    )
    values.pop("examples", None)
    return {k: float(v) for k, v in values.items()}


def _command(name, dataset, out, run, image_size, channels, seed):
    parts = ["keras-gen", "train", name, "--dataset", str(dataset), "--out", str(out)]
    parts += ["--epochs", str(run["epochs"]), "--batch-size", str(run["batch_size"])]
    if image_size:
        parts += ["--image-size", *map(str, image_size)]
    if channels:
        parts += ["--channels", str(channels)]
    return shlex.join(parts + ["--seed", str(seed)]) + " (called from Python)"


def held_out(name, dataset=None, batch_size=500, data_dir=None, limit=None):
    """The held-out images of a preset or a run folder, for `keras-gen
    evaluate/reconstruct/interpolate`: a preset's test split, a run's test split
    or the images its training held out, or (with `dataset`) that dataset's test
    split, else all its images, resized to the model's shape.

    Returns:
        `(dataset of (x, y) or x batches, labelled, description)`.
    """
    model_shape, options, validation = None, {}, None
    if zoo.is_preset_folder(name):
        meta = presets.read_metadata_file(name)
        if "data_info" not in meta and dataset is None:
            raise ValueError(f"{name} records no dataset; give one with --dataset.")
        model_shape = tuple(meta.get("data_info", {}).get("shape", ())) or None
        if dataset is None or str(dataset) == meta.get("dataset"):
            dataset = meta["dataset"]
            options = {k: v for k, v in meta["data_options"].items() if v is not None}
            validation = options.get("validation")
    elif dataset is None:
        dataset = zoo.get_preset(name).dataset
    if model_shape is None and not zoo.is_preset_folder(name):
        model_shape = tuple(zoo.create_model(name).data_shape)
    if model_shape and len(model_shape) == 3 and "image_size" not in options:
        options |= {"image_size": model_shape[:2], "channels": model_shape[2]}
    info = data.info(dataset, data_dir=data_dir, **_shape_options(options))
    split, subset, where = _eval_split(info, validation)
    if subset is None:
        options.pop("validation", None)
        options.pop("validation_seed", None)
    else:
        options["subset"] = subset
    labelled = bool(info.num_classes)
    ds = data.load(
        dataset,
        split,
        batch_size,
        data_dir=data_dir,
        shuffle=False,
        supervised=labelled,
        take=limit,
        **options,
    )
    return ds, labelled, f"{dataset} {where}"


def _shape_options(options):
    return {k: options[k] for k in ("image_size", "channels") if k in options}
