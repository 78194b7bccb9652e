"""How much a preset's importance-sampled NLL moves when the same images are
measured again (only the k samples of q(z|x) differ), which sets the repeat
allowance of its bar in tests/test_zoo.py:

    python benchmarks/nll_repeat.py vae_mnist --images 100 --repeats 3
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from keras_gen import data, zoo  # noqa: E402
from keras_gen.evaluation import preset_dataset  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("preset")
    p.add_argument("--images", type=int, default=100)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--num-samples", type=int, default=5000)
    p.add_argument("--subset", type=int, default=500, help="images the test measures")
    args = p.parse_args()
    model = zoo.create_model(args.preset, pretrained=True)
    ds = preset_dataset(
        zoo.get_preset(args.preset), "test", args.images, data.prepare("mnist")
    )
    x = next(iter(ds))
    x = np.asarray(x[0] if isinstance(x, tuple) else x)
    runs = [model.log_likelihood(x, args.num_samples) for _ in range(args.repeats)]
    print(f"{args.preset}: NLL of {len(x)} test images, k={args.num_samples}")
    print("means:", ", ".join(f"{-r.mean():.3f}" for r in runs))
    diff = np.concatenate([runs[0] - r for r in runs[1:]])
    print(
        f"per-image difference between repeats: std {diff.std():.3f} nats; "
        f"so for a mean of {args.subset}: {diff.std() / np.sqrt(args.subset):.3f}"
    )


if __name__ == "__main__":
    main()
