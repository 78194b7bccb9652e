"""Parzen log-likelihood of a GAN preset's raw generator against its moving average.

Usage: python benchmarks/gan_ema.py [--name gan_mnist] [--folder PATH] [--out PATH]

A GAN built with `ema_decay` keeps two generators: the one the game trains and an
exponential moving average of its weights, which `generate` and `sample` use. This
script measures the preset's metrics (`keras-gen evaluate`'s protocol: for
gan_mnist, the Parzen window on 10,000 samples from fixed noise, sigma chosen on
train[50000:]) once for each, from the same weights file, and writes a Markdown table.
"""

import argparse
import time
from pathlib import Path

from keras_gen import evaluation, presets, zoo


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="gan_mnist")
    parser.add_argument("--folder", help="preset folder (default: the shipped one)")
    parser.add_argument(
        "--out", default=str(Path(__file__).parent / "results" / "gan_ema.md")
    )
    args = parser.parse_args()
    folder = Path(args.folder) if args.folder else zoo.preset_dir(args.name)
    model = presets.load_preset_folder(folder)
    if getattr(model, "generator_ema", None) is None:
        parser.error(f"{folder} holds a model without ema_decay")
    averaged = [w.numpy() for w in model.generator_ema.weights]
    rows = []
    for label, weights in (
        (f"moving average (decay {model.ema_decay:g})", averaged),
        ("raw generator", [w.numpy() for w in model.generator.weights]),
    ):
        for target, value in zip(model.generator_ema.weights, weights, strict=True):
            target.assign(value)
        start = time.perf_counter()
        values = evaluation.evaluate_preset(args.name, model=model)
        values.pop("examples")
        cells = ", ".join(f"{k} {v:.4g}" for k, v in sorted(values.items()))
        rows.append(f"| {label} | {cells} | {time.perf_counter() - start:.0f} |")
        print(rows[-1], flush=True)
    shown = args.folder or f"zoo/{args.name}"
    text = "\n".join(
        [
            f"# {args.name}: raw generator against its moving average",
            "",
            f"Command: `python benchmarks/gan_ema.py --name {args.name}"
            + (f" --folder {args.folder}" if args.folder else "")
            + f"` on the weights in `{shown}`; the metrics of `keras-gen evaluate "
            f"{args.name}`, measured once with each generator.",
            "",
            "| generator | metrics | seconds |",
            "|---|---|---|",
            *rows,
            "",
        ]
    )
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
