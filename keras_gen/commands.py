"""What each `keras-gen` command does, given its parsed arguments (`keras_gen.cli`
holds the parser)."""

import json
from pathlib import Path

import keras
import numpy as np

from . import cards, data, evaluation, plot, presets, runs, training, zoo


def constructor_overrides(pairs):
    """`{key: value}` of `--set KEY=VALUE` arguments (a value is read as JSON,
    e.g. `0.3`, `[64, 32]`, `true`, else kept as a string: `network=conv`)."""
    out = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--set takes KEY=VALUE, got {pair!r}.")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def list_(args):
    if args.architectures:
        return print("\n".join(zoo.architecture_lines()))
    pretrained = True if args.pretrained else None
    for name in zoo.list_models(args.pattern, pretrained=pretrained):
        mark = "pretrained" if zoo.preset_dir(name) else "          "
        print(f"{name:24s} {mark}  {zoo.get_preset(name).description}")


def info(args):
    if zoo.is_preset_folder(args.name):
        meta = presets.read_metadata_file(args.name)
        config = json.loads((Path(args.name) / presets.CONFIG_FILE).read_text())
        shown = {"folder": str(Path(args.name).resolve()), "config": config["config"]}
        return print(json.dumps(shown | {"metadata": _no_history(meta)}, indent=2))
    preset = zoo.get_preset(args.name)
    shown = {
        "name": preset.name,
        "class": preset.model_class.__name__,
        "description": preset.description,
        "dataset": preset.dataset,
        "config": preset.config,
        "recipe": preset.recipe,
        "pretrained": str(zoo.preset_dir(args.name) or "no"),
        "metadata": _no_history(zoo.read_metadata(args.name)),
    }
    print(json.dumps(shown, indent=2, default=str))


def _no_history(meta):
    return {k: v for k, v in meta.items() if k != "history"}


def train(args):
    overrides = constructor_overrides(args.set)
    out = args.out or f"runs/{args.name}"
    common = dict(
        epochs=args.epochs,
        batch_size=args.batch_size,
        data_dir=args.data_dir,
        resume=args.resume,
        strategy=args.strategy,
        checkpoint_steps=args.checkpoint_steps,
    )
    if args.dataset is None and args.name in zoo.list_models() and not args.image_size:
        # A preset trains on its recipe's splits and metrics: these would be ignored.
        given = [
            flag
            for flag, value in (
                ("--channels", args.channels),
                ("--validation", args.validation),
                ("--eval-samples", args.eval_samples),
            )
            if value is not None
        ]
        if given:
            raise ValueError(
                f"{', '.join(given)} apply to training on --dataset; preset "
                f"{args.name!r} uses its recipe's splits and card (give --dataset "
                "to train its architecture on other images)."
            )
        _, meta = training.train_preset(
            args.name,
            out,
            seed=args.seed,
            steps_per_execution=args.steps_per_execution,
            **common,
            **overrides,
        )
    else:
        _, meta = runs.train(
            args.name,
            args.dataset or "mnist",
            out,
            image_size=args.image_size,
            channels=args.channels,
            validation=0.1 if args.validation is None else args.validation,
            seed=args.seed or 0,
            steps_per_execution=args.steps_per_execution or 1,
            evaluation_samples=(
                10000 if args.eval_samples is None else args.eval_samples
            ),
            command=args.command_line,
            **common,
            **overrides,
        )
    print(json.dumps(meta["metrics"], indent=2))
    print(f"wrote preset folder {Path(out).resolve()}")


def evaluate(args):
    if args.anomaly_digit is not None:
        result = training.anomaly_auc(
            args.name, args.anomaly_digit, args.epochs or 5, data_dir=args.data_dir
        )
        return _print_metrics(result, args.json)
    if args.dataset is None and not zoo.is_preset_folder(args.name):
        values = evaluation.evaluate_preset(
            args.name, args.split, args.limit, data_dir=args.data_dir
        )
        if args.write:
            cards.record_metrics(args.name, args.split, values)
        return _print_metrics(values, args.json)
    if args.write:
        raise ValueError("--write records a registered preset's test metrics only.")
    model = zoo.create_model(args.name, pretrained=True)
    ds, labelled, where = runs.held_out(
        args.name, args.dataset, data_dir=args.data_dir, limit=args.limit
    )
    reference = ds.take(2)
    values = runs.measure(model, ds, reference, labelled, args.eval_samples)
    values["examples"] = sum(int(np.shape(b[0] if labelled else b)[0]) for b in ds)
    _print_metrics(values | {"measured_on": where}, args.json)


def _print_metrics(values, as_json):
    if as_json:
        return print(json.dumps(values, indent=2))
    for key, value in values.items():
        shown = f"{value:.6g}" if isinstance(value, float) else value
        print(f"{key:28s} {shown}")


def _model(args):
    keras.utils.set_random_seed(args.seed)
    return zoo.create_model(args.name, pretrained=True)


def _wrote(path):
    print(f"wrote {Path(path).resolve()}")


def sample(args):
    model = _model(args)
    labels = None if not args.labels else np.asarray(args.labels)
    if labels is not None and len(labels) not in (1, args.n):
        raise ValueError(f"--labels takes 1 or n={args.n} classes, got {len(labels)}.")
    if labels is not None and len(labels) == 1:
        labels = int(labels[0])  # one class for every sample
    _wrote(plot.save_samples(model, args.out, args.n, labels, seed=args.seed))


def _images(args, n):
    ds, labelled, _ = runs.held_out(args.name, args.dataset, n, args.data_dir)
    batch = next(iter(ds))
    if labelled:
        return batch[0].numpy(), batch[1].numpy()
    return batch.numpy(), None


def reconstruct(args):
    model = _model(args)
    x, y = _images(args, args.n)
    labels = y if model.takes_labels else None
    _wrote(plot.save_reconstructions(model, args.out, x, labels))


def interpolate(args):
    model = _model(args)
    x, y = _images(args, 2 * args.pairs)
    if len(x) < 2 * args.pairs:
        raise ValueError(
            f"--pairs {args.pairs} needs {2 * args.pairs} images, found {len(x)}."
        )
    half = args.pairs
    labels = None
    if model.takes_labels:
        labels = y[:half]
    path = plot.save_interpolations(
        model, args.out, x[:half], x[half : 2 * half], args.steps, labels
    )
    _wrote(path)


def data_(args):
    if args.action == "prepare":
        path = data.prepare(
            args.name, data_dir=args.data_dir, source=args.source, force=args.force
        )
    else:
        path = data.import_mnist(args.name, data_dir=args.data_dir)
    print(f"{args.action}: dataset ready in {path}")


def quickstart(args):
    training.quickstart(args.out, args.epochs, args.data_dir)
