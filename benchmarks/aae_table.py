"""Our adversarial autoencoder presets' test numbers against Makhzani et al. (2015).

Reads each preset's measured metrics from the zoo (`metadata.json`, written by
`keras-gen train` / `keras-gen evaluate`) and prints one Markdown table; a preset
without shipped weights is listed as not trained, never filled in. A metric
measured over several seeds (`aae_epoch_budget.py seeds`, its JSON in
benchmarks/results/PRESET_seeds.json, or PRESET_runN_seeds.json of later runs, the
highest N shown) is shown as their mean with each run.

    python benchmarks/aae_table.py --out benchmarks/results/aae_table.md
"""

import argparse
import json
from pathlib import Path

from keras_gen import zoo

# (preset, metric key, what, the paper's number, the bar). The paper's
# numbers are from ../shared/REFERENCES.md (Parzen and the 100-label error checked
# in a secondary source there; the clustering errors from memory).
ROWS = [
    (
        "aae_gaussian_mnist",
        "parzen_log_likelihood",
        "Parzen log-likelihood (nats)",
        "340 +- 2",
        ">= 282",
    ),
    ("aae_gaussian_mnist", "fid", "FID on mnist_classifier features", "-", "-"),
    (
        "ssaae_mnist_100labels",
        "error",
        "test error, 100 labels",
        "1.90 % +- 0.10",
        "<= 3.0 % (mean of 3 draws)",
    ),
    (
        "aae_cluster16_mnist",
        "paper_rule_error",
        "test error, 16 clusters",
        "9.55 %",
        "<= 12 %",
    ),
    ("aae_mnist", "prior_mmd2", "MMD^2 codes vs prior (2-D mixture)", "-", "-"),
    ("aae_mnist", "reconstruction", "reconstruction NLL (nats)", "-", "-"),
    (
        "supervised_aae_mnist",
        "reconstruction",
        "reconstruction NLL given y (nats)",
        "-",
        "-",
    ),
]
PERCENT = {"error", "paper_rule_error"}
RESULTS = Path(__file__).resolve().parent / "results"


def _format(key, value):
    return f"{100 * value:.2f} %" if key in PERCENT else f"{value:.4g}"


def _over_seeds(name, key, results):
    """(ours, measured by) from a seeds JSON of this preset and metric, or None."""
    later = sorted(
        Path(results).glob(f"{name}_run*_seeds.json"),
        key=lambda p: int(p.name[len(name) + 4 : -len("_seeds.json")]),
    )
    path = later[-1] if later else Path(results) / f"{name}_seeds.json"
    if not path.exists():
        return None
    summary = json.loads(path.read_text())
    if summary["metric"] != key:
        return None
    each = ", ".join(
        f"seed {r['seed']}: {_format(key, r['test'][key])}" for r in summary["runs"]
    )
    if len(summary["runs"]) == 1:  # no spread to show
        ours = f"{_format(key, summary['test_mean'])} (one run, {each}; epoch "
        ours += f"{summary['chosen_epoch']})"
    else:
        ours = (
            f"{_format(key, summary['test_mean'])} +- "
            f"{_format(key, summary['test_std'])} (mean of {len(summary['runs'])}; "
            f"{each}; epoch {summary['chosen_epoch']})"
        )
    return ours, f"`{summary['command']}`"


def table(results=RESULTS):
    lines = [
        "| preset | metric | ours | paper | bar | measured by |",
        "|---|---|---|---|---|---|",
    ]
    for name, key, what, paper, bar in ROWS:
        meta = zoo.read_metadata(name) if zoo.preset_dir(name) else {}
        values = meta.get("metrics", {}).get("values", {})
        seeds = _over_seeds(name, key, results)
        if seeds:
            ours, how = seeds
        elif key in values:
            ours = _format(key, values[key])
            how = f"`{meta['metrics']['command']}`"
        else:
            ours, how = "not trained", "-"
        lines.append(f"| {name} | {what} | {ours} | {paper} | {bar} | {how} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="also write the table to this file")
    args = parser.parse_args()
    text = table()
    print(text)
    if args.out:
        Path(args.out).write_text(
            "# Adversarial autoencoders against Makhzani et al. 2015\n\n"
            "Printed by `python benchmarks/aae_table.py` from the zoo's measured "
            "metrics.\n\n" + text
        )


if __name__ == "__main__":
    main()
