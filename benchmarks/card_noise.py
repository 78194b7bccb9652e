"""How much a shipped card's metrics move from one test subset to another.

`tests/test_zoo.py` re-measures every shipped preset on a subset of the test split
(the first 2,000 images, or 500 for a preset measured on the importance-sampled
NLL) and compares with the card, which used all 10,000. This script measures the
subset noise those comparisons must allow: for each shipped preset it evaluates
`--subsets` disjoint subsets of that size (`evaluation.evaluate_preset(skip=...,
limit=...)`), and writes each metric's values, their standard deviation and the
card's value to `benchmarks/results/card_noise.json` (the test reads it) and a
table to `card_noise.md`.

    python benchmarks/card_noise.py [--only NAME ...] [--subsets 4]

A metric computed from fixed noise against the full test split's statistics (FID,
IS, class shares of samples) does not depend on the subset: its spread is 0.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from keras_gen import data, evaluation, zoo

RESULTS = Path(__file__).resolve().parent / "results"
JSON = RESULTS / "card_noise.json"


def subset_size(name):
    """The test images test_zoo re-measures a preset on (its `_check_images`)."""
    preset = zoo.get_preset(name)
    kinds = evaluation.capabilities(preset.model_class, preset.recipe)
    return 500 if "likelihood" in kinds else 2000


def measure(name, subsets, data_dir=None):
    n = subset_size(name)
    if n * subsets > 10_000:
        raise SystemExit(f"{subsets} subsets of {n} do not fit in 10,000 test images")
    start = time.perf_counter()
    runs = [
        evaluation.evaluate_preset(name, limit=n, skip=i * n, data_dir=data_dir)
        for i in range(subsets)
    ]
    card = zoo.read_metadata(name)["metrics"]["values"]
    keys = [k for k in card if all(k in r for r in runs)]
    values = {k: [float(r[k]) for r in runs] for k in keys}
    return {
        "subset_images": n,
        "subsets": subsets,
        "values": values,
        # Sample standard deviation over the subsets (ddof 1).
        "std": {k: float(np.std(v, ddof=1)) for k, v in values.items()},
        "card": {k: card[k] for k in keys},
        "wall_time_s": round(time.perf_counter() - start, 1),
    }


def table(results):
    lines = [
        "| preset | images per subset | metric | card | subset values | std |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in sorted(results.items()):
        for k, vals in r["values"].items():
            shown = ", ".join(f"{v:.4g}" for v in vals)
            lines.append(
                f"| {name} | {r['subset_images']} | {k} | {r['card'][k]:.4g} | "
                f"{shown} | {r['std'][k]:.3g} |"
            )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", help="these shipped presets only")
    parser.add_argument("--subsets", type=int, default=4)
    parser.add_argument("--out", default=str(JSON))
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.subsets < 2:
        raise SystemExit(f"--subsets must be at least 2, got {args.subsets}")
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.exists() else {}
    data_dir = data.prepare("mnist")
    for name in args.only or zoo.list_models(pretrained=True):
        results[name] = measure(name, args.subsets, data_dir)
        results[name]["command"] = "python benchmarks/card_noise.py " + " ".join(argv)
        out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
        print(name, results[name]["std"], results[name]["wall_time_s"], flush=True)
    out.with_suffix(".md").write_text(
        "# Subset noise of the shipped cards\n\n"
        "Printed by `python benchmarks/card_noise.py` (each preset's command in "
        f"{out.name}): disjoint subsets of the test split, the size tests/test_zoo.py "
        "re-measures on.\n\n" + table(results)
    )


if __name__ == "__main__":
    main()
