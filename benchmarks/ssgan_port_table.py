"""The validation errors of every `benchmarks/ssgan_port.py` run as a markdown table.

python benchmarks/ssgan_port_table.py benchmarks/results/ssgan_port/*.json
"""

import json
import sys
from pathlib import Path


def main(paths):
    runs = [(Path(p).stem, json.loads(Path(p).read_text())) for p in paths]
    width = max(len(r["epochs"]) for _, r in runs)
    print(
        "| run | flags | " + " | ".join(f"ep {i}" for i in range(1, width + 1)) + " |"
    )
    print("|---|---|" + "---|" * width)
    for name, run in runs:
        flags = (
            run["command"]
            .split("--out")[0]
            .replace("python benchmarks/ssgan_port.py", "")
        )
        rest = run["command"].split("--out", 1)[1].split()[1:]
        cells = [f"{100 * e['validation_error']:.1f} %" for e in run["epochs"]]
        cells += ["-"] * (width - len(cells))
        print(
            f"| {name} | `{(flags.strip() + ' ' + ' '.join(rest)).strip()}` | "
            + " | ".join(cells)
            + " |"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
