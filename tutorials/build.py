"""Builds the tutorial notebooks from their jupytext sources, and runs them.

    python tutorials/build.py           # every NN_topic.py -> NN_topic.ipynb, executed
    python tutorials/build.py 03 05     # only these numbers
    python tutorials/build.py --no-run  # sources to notebooks without executing
    python tutorials/build.py --full    # execute in full mode (default: fast mode)

A notebook runs from this folder with the environment variable KERAS_GEN_FAST=1 in fast
mode (fewer epochs and samples: what CI runs) and unset in full mode (Colab's default).
The executed notebook is written beside its source with its outputs; its metadata
records the mode, the seconds it took and the machine's core count, and its second code
cell prints the mode, so the committed outputs say how they were produced.
"""

import argparse
import os
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def sources(numbers=()):
    """The `NN_topic.py` sources in number order, only `numbers` when given."""
    found = sorted(p for p in HERE.glob("[0-9][0-9]_*.py"))
    if numbers:
        found = [p for p in found if p.name[:2] in numbers]
    return found


def notebook_of(source):
    """The notebook `source` (a jupytext percent script) stands for, without outputs."""
    nb = jupytext.read(source)
    nb.metadata.pop("jupytext", None)  # the pairing lives in the file names
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


# TensorFlow's C++ start-up lines, which TF_CPP_MIN_LOG_LEVEL does not silence in the
# kernel, and the kernel's own transport warning: kept out of the committed outputs.
NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog|I0000 |W0000 |E0000 "
    r"|\[IPKernelApp\])"
)


def clean(nb):
    """Drops start-up noise lines from stderr outputs, and outputs left empty."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                lines = out["text"].splitlines(keepends=True)
                out["text"] = "".join(x for x in lines if not NOISE.match(x))
                if not out["text"].strip():
                    continue
            kept.append(out)
        cell["outputs"] = kept
    return nb


def execute(nb, fast=True, timeout=900):
    """Runs `nb` top to bottom from this folder; returns the seconds it took."""
    env_before = os.environ.get("KERAS_GEN_FAST")
    if fast:
        os.environ["KERAS_GEN_FAST"] = "1"
    else:
        os.environ.pop("KERAS_GEN_FAST", None)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        start = time.perf_counter()
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(HERE)}},
        ).execute()
        return time.perf_counter() - start
    finally:
        if env_before is None:
            os.environ.pop("KERAS_GEN_FAST", None)
        else:
            os.environ["KERAS_GEN_FAST"] = env_before


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("numbers", nargs="*", help="two-digit notebook numbers")
    parser.add_argument("--no-run", action="store_true", help="do not execute")
    parser.add_argument("--full", action="store_true", help="full mode (not fast)")
    args = parser.parse_args(argv)
    todo = sources(args.numbers)
    if not todo:
        parser.error(f"no tutorial source matches {args.numbers} in {HERE}")
    total = 0.0
    for source in todo:
        nb = notebook_of(source)
        if not args.no_run:
            seconds = execute(nb, fast=not args.full)
            clean(nb)
            total += seconds
            nb.metadata["keras_gen"] = {
                "outputs": "full" if args.full else "fast (KERAS_GEN_FAST=1)",
                "seconds": round(seconds, 1),
                "cpu_cores": os.cpu_count(),
            }
            print(f"{source.stem}: {seconds:.1f} s", flush=True)
        nbformat.write(nb, source.with_suffix(".ipynb"))
    if not args.no_run:
        print(f"total: {total:.1f} s for {len(todo)} notebooks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
