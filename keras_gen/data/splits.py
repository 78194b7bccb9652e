"""Which examples a split names: TFDS-style slices, validation subsets, balanced.

Positions in a source's fixed example order; `keras_gen.data.pipeline` applies them.
"""

import numpy as np
import tensorflow_datasets as tfds


def split_validation(num_examples, validation, seed=0):
    """Splits `range(num_examples)` into training and validation indices.

    A seeded random choice: deterministic given `seed`, the two parts disjoint and
    together covering every index. `load(..., validation=, subset=)` uses it.

    Args:
        num_examples: How many examples there are.
        validation: A fraction in (0, 1) or a count of validation examples.
        seed: Seed of the choice.

    Returns:
        `(training_indices, validation_indices)`, sorted int64 arrays.

    Example:
        >>> train_idx, val_idx = keras_gen.data.split_validation(60000, 0.1)
        >>> len(val_idx)
        6000
    """
    n = int(num_examples)
    if isinstance(validation, bool) or not isinstance(
        validation, int | float | np.integer | np.floating
    ):
        raise TypeError(
            f"validation must be a fraction in (0, 1) or a count, got {validation!r}."
        )
    if isinstance(validation, float | np.floating):
        if not 0.0 < validation < 1.0:
            raise ValueError(
                f"validation fraction must be in (0, 1), got {validation}."
            )
        count = int(round(validation * n))
    else:
        count = int(validation)
    if not 1 <= count < n:
        raise ValueError(
            f"validation={validation!r} of {n} examples leaves {count} for validation "
            f"and {n - count} for training; both need at least one."
        )
    chosen = np.random.default_rng(seed).permutation(n)[:count]
    mask = np.zeros(n, bool)
    mask[chosen] = True
    return np.flatnonzero(~mask).astype(np.int64), np.flatnonzero(mask).astype(np.int64)


def subset_indices(num_examples, options):
    """The indices of `options.subset` of `split_validation`'s two parts.

    Args:
        num_examples: Examples of the split.
        options: The `Options` (validation, subset, validation_seed).

    Returns:
        Sorted int64 indices, or None when no validation split was asked.

    Example:
        >>> subset_indices(100, Options(validation=0.1, subset="validation"))
    """
    if options.validation is None:
        return None
    train, val = split_validation(
        num_examples, options.validation, options.validation_seed
    )
    return train if options.subset == "training" else val


def slice_indices(split, num_examples, what):
    """The example indices a TFDS-style split string of one split "train" names.

    TFDS's own parser and rounding (`tfds.core.ReadInstruction`): `"train"`,
    `"train[:80%]"`, `"train[100:]"`, `"train[:10%]+train[-10%:]"`.

    Args:
        split: The split string.
        num_examples: Examples of the one split "train".
        what: The source, named in errors.

    Returns:
        int64 indices in order.

    Example:
        >>> slice_indices("train[:80%]", 10, "my arrays")
        array([0, 1, 2, 3, 4, 5, 6, 7])
    """
    infos = {
        "train": tfds.core.SplitInfo(
            name="train", shard_lengths=[num_examples], num_bytes=0
        )
    }
    try:
        parts = tfds.core.ReadInstruction.from_spec(split).to_absolute(infos)
    except (ValueError, AssertionError) as err:
        raise ValueError(
            f"Bad split {split!r} for {what} ({num_examples} examples, all in one "
            f"split 'train'): {str(err).splitlines()[0]} Use 'train' or a slice of "
            "it such as 'train[:80%]', 'train[100:]'; pass another folder or "
            "arrays for a separate test set."
        ) from None
    ranges = [np.arange(num_examples)[p.from_ : p.to] for p in parts]
    return np.concatenate(ranges).astype(np.int64)


def balanced_subset(labels, per_class, seed, num_classes):
    """Indices of `per_class` examples of each class, a seeded choice, sorted.

    Args:
        labels: int labels `[N]`.
        per_class: Examples kept per class.
        seed: Seed of the choice.
        num_classes: Classes 0..num_classes-1, each needing `per_class` examples.

    Returns:
        Sorted indices, `per_class * num_classes` of them.

    Example:
        >>> balanced_subset(np.arange(100) % 10, 2, 0, 10).shape
        (20,)
    """
    rng = np.random.default_rng(seed)
    picks = []
    for c in range(num_classes):
        idx = np.flatnonzero(labels == c)
        if len(idx) < per_class:
            raise ValueError(
                f"labelled_per_class={per_class} but class {c} has {len(idx)} examples."
            )
        picks.append(rng.choice(idx, per_class, replace=False))
    return np.sort(np.concatenate(picks))
