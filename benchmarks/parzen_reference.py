"""The Parzen-window estimate with real images as the kernel centres.

Usage: python benchmarks/parzen_reference.py [--centres N] [--out PATH]

Scores the 10,000 MNIST test images under a Gaussian Parzen window centred on N real
training images (train[:N], default 10,000, the number of samples the GAN paper
uses), with sigma chosen from logspace(-1, 0, 10) on 1,000 images of train[50000:],
exactly as `keras-gen evaluate gan_mnist` scores generator samples. A generator
whose samples were as good as real digits would score about this much.
"""

import argparse
import time
from pathlib import Path

import numpy as np

from keras_gen import data, metrics


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--centres", type=int, default=10000)
    parser.add_argument(
        "--out", default=str(Path(__file__).parent / "results" / "parzen_reference.md")
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    data.prepare("mnist")

    def images(split):
        return data.load_numpy("mnist", split)[0].astype("float32") / 255.0

    centres = images(f"train[:{args.centres}]")
    sigma, scores = metrics.select_parzen_sigma(centres, images("train[50000:51000]"))
    ll = metrics.parzen_log_likelihood(centres, images("test"), sigma)
    wall = time.perf_counter() - start
    lines = [
        "# Parzen-window log-likelihood of the MNIST test set, real images as centres",
        "",
        f"Command: `python benchmarks/parzen_reference.py --centres {args.centres}` "
        f"({wall:.0f} s on 2 CPU cores).",
        "",
        "| centres | sigma (chosen on train[50000:51000]) | test log-likelihood, "
        "nats |",
        "|---|---|---|",
        f"| {args.centres:,} real train images | {sigma:.4f} | {ll.mean():.1f} +- "
        f"{ll.std() / np.sqrt(len(ll)):.1f} |",
        "",
    ]
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))
    return sigma, float(ll.mean())


if __name__ == "__main__":
    main()
