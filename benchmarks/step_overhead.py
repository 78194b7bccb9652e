"""Where our `fit` loses time against the hand-written loop, for one family: the
same epoch with parts of the library's machinery switched off in turn.

    python benchmarks/step_overhead.py vae --runs 5 [--images 120000]

Variants (interleaved, median of `--runs` epochs after a warm-up epoch each):
`fit` as shipped; without the in-graph batch checks (`_checked_dataset` returns the
dataset as it is); without the non-finite guard callback; without both; and the
hand-written XLA loop of `benchmarks/throughput.py`. The switched-off variants are
for measuring only: the library always runs its checks.
"""

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).parent))

import throughput  # noqa: E402

from keras_gen.models import guard, validation  # noqa: E402


def variants(family, x):
    def patched(checks, guard_on):
        epoch = throughput.ours(family, x)

        def run():
            with contextlib.ExitStack() as stack:
                if not checks:
                    stack.enter_context(
                        mock.patch.object(
                            validation.InputChecks,
                            "_checked_dataset",
                            lambda self, dataset, where: dataset,
                        )
                    )
                if not guard_on:
                    stack.enter_context(
                        mock.patch.object(guard, "with_guard", lambda c: list(c or []))
                    )
                epoch()

        return run

    return {
        "fit": patched(True, True),
        "fit, no batch checks": patched(False, True),
        "fit, no guard": patched(True, False),
        "fit, neither": patched(False, False),
        "hand-written TF (XLA)": throughput.hand_tf(family, x),
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("family", choices=list(throughput.FAMILIES))
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--images", type=int, help="per epoch (default: the family's)")
    args = p.parse_args(argv)
    family = throughput.FAMILIES[args.family]
    if args.images:
        family = throughput.Family(family.preset, family.batch_size, args.images)
    x = throughput._images(family.images)
    impls = variants(family, x)
    for run in impls.values():
        run()
    seconds = {k: [] for k in impls}
    for _ in range(args.runs):
        for k, run in impls.items():
            start = time.perf_counter()
            run()
            seconds[k].append(time.perf_counter() - start)
    n = family.images // family.batch_size * family.batch_size
    print(f"{args.family} ({family.preset}, batch {family.batch_size}), {n} images")
    print("| variant | images/s (median) | ms per step |")
    print("|---|---|---|")
    for k, v in seconds.items():
        med = statistics.median(v)
        steps = n // family.batch_size
        print(f"| {k} | {n / med:,.0f} | {1000 * med / steps:.2f} |")


if __name__ == "__main__":
    main()
