"""argparse types of the `keras-gen` options that take numbers.

argparse's `int` lets `--epochs 0` through to a run that trains nothing and still
writes a preset; these refuse such values at parse time, saying what was expected.
"""

import argparse


def _number_type(convert, valid, expected):
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {expected}, got {text!r}"
            ) from None
        if not valid(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {value}")
        return value

    return parse


# A count: epochs, batch size, samples, steps.
positive_int = _number_type(int, lambda v: v >= 1, "a positive integer")
# numpy's and Keras' seeds are integers in [0, 2**32).
seed = _number_type(int, lambda v: 0 <= v < 2**32, "an integer seed in [0, 2**32)")
# A held-out share of a dataset.
fraction = _number_type(float, lambda v: 0 <= v < 1, "a fraction in [0, 1)")
