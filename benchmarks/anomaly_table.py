"""Anomaly detection by reconstruction error: ROC-AUC per held-out MNIST digit.

Usage: python benchmarks/anomaly_table.py [PRESET] [EPOCHS]
  (default ae_mnist, 5 epochs; writes benchmarks/results/anomaly_<PRESET>.md)

For each digit D, the preset's architecture is trained from scratch on the MNIST
train images of the other nine digits; the anomaly score (reconstruction NLL) of each
test image then ranks it, and ROC-AUC measures how well digit D's test images rank
above the rest. The same measurement is `keras-gen evaluate PRESET --anomaly-digit D`.
"""

import sys
import time
from pathlib import Path

from keras_gen.training import anomaly_auc

if __name__ == "__main__":
    preset = sys.argv[1] if len(sys.argv) > 1 else "ae_mnist"
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    rows, start = [], time.perf_counter()
    for digit in range(10):
        result = anomaly_auc(preset, digit, epochs)
        rows.append(f"| {digit} | {result['roc_auc']:.4f} | {result['train_images']} |")
        print(rows[-1], flush=True)
    mean = sum(float(r.split("|")[2]) for r in rows) / 10
    text = "\n".join(
        [
            f"# Anomaly detection with `{preset}` (reconstruction NLL as the score)",
            "",
            f"Command: `python benchmarks/anomaly_table.py {preset} {epochs}` "
            f"({epochs} epochs per digit, {time.perf_counter() - start:.0f} s in all "
            "on 2 CPU cores). Test split: all 10,000 MNIST test images; positives "
            "are the held-out digit.",
            "",
            "| held-out digit | ROC-AUC | training images |",
            "|---|---|---|",
            *rows,
            f"| mean | {mean:.4f} | |",
            "",
        ]
    )
    out = Path(__file__).parent / "results" / f"anomaly_{preset}.md"
    out.write_text(text)
    print(text)
