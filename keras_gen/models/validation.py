"""Input checks of keras_gen models: at the edge, and of every batch inside `fit`.

`InputChecks` is a mixin of `base.Model`: shapes, dtypes, finiteness, the input range
and class labels are checked eagerly on arrays and on a dataset's first batch (a
clear error before anything is traced), and in the tf.data graph on every later
batch (a tagged assertion that `fit` turns into a `ValueError`).
"""

import re

import numpy as np
import tensorflow as tf

from ..data import UNLABELLED

# Marks an input check's failure inside a tf.data pipeline, so `fit` can tell it
# from other runtime errors and raise a ValueError in its place.
_CHECK_TAG = "keras_gen input check"
_SHAPE = re.compile(r"\[(\d+(?: \d+)*)\]")
_NUMBER = re.compile(r"\[(-?(?:\d+\.?\d*(?:e[+-]?\d+)?|nan|inf))\]", re.IGNORECASE)


def check_positive_int(value, name="n"):
    """`value` as an int, or a `ValueError` unless it is a positive integer."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _open_shape(shape):
    """Whether a static batch shape leaves the rank or an example size unknown."""
    return shape.rank is None or not shape[1:].is_fully_defined()


class InputChecks:
    """Validation methods shared by every keras_gen model (see the module doc)."""

    # Semi-supervised models: every batch needs a labelled example.
    needs_labelled_examples = False

    def _no_labelled_message(self, where):
        return (
            f"{type(self).__name__}.{where} expected labelled examples (labels in "
            f"[0, {self.num_classes})) besides the unlabelled ones ({UNLABELLED}), "
            "got none; batch with keras_gen.data.load_semi_supervised"
        )

    def _check_some_labelled(self, labels, where):
        if self.needs_labelled_examples and not np.any(np.asarray(labels) >= 0):
            raise ValueError(self._no_labelled_message(where) + ".")

    @property
    def _unlabelled(self):
        return UNLABELLED if self.accepts_unlabelled else None

    # -- validation at the edge ------------------------------------------------

    def _check_shape(self, shape, where):
        shape = tuple(shape)
        expected = (None, *self.data_shape)
        ok = len(shape) == len(expected) and all(
            s is None or s == e for s, e in zip(shape[1:], expected[1:], strict=True)
        )
        if not ok:
            raise ValueError(
                f"{type(self).__name__}.{where} expected inputs of shape "
                f"(batch, {', '.join(map(str, self.data_shape))}), got shape "
                f"{shape}."
            )

    def _check_dtype(self, dtype, where):
        dtype = tf.as_dtype(dtype)
        if not (dtype.is_floating or dtype.is_integer) or dtype.is_complex:
            raise TypeError(
                f"{type(self).__name__}.{where} expected real numbers, got dtype "
                f"{dtype.name}."
            )

    def _range_message(self, where, low, high):
        lo, hi = self.input_range
        return (
            f"{type(self).__name__}.{where} expected values in [{lo}, {hi}] (the "
            f"model's input range), got values in [{low}, {high}]. Scale images to "
            "[0, 1] first."
        )

    def _check_values(self, x, where):
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.number) or np.issubdtype(
            x.dtype, np.complexfloating
        ):
            raise TypeError(
                f"{type(self).__name__}.{where} expected real numbers, got dtype "
                f"{x.dtype}."
            )
        if np.issubdtype(x.dtype, np.floating) and not np.all(np.isfinite(x)):
            raise ValueError(
                f"{type(self).__name__}.{where} expected finite input values, got "
                "NaN or infinite ones."
            )
        if self.input_range is not None and x.size:
            lo, hi = self.input_range
            if x.min() < lo or x.max() > hi:
                raise ValueError(self._range_message(where, x.min(), x.max()))

    def validate_inputs(self, x, where="call"):
        """Checks shape, dtype, finiteness and range of a batch of inputs.

        Args:
            x: A batch, array-like or tensor.
            where: The verb being validated, for the message.

        Returns:
            `x` as a float32 tensor.

        Raises:
            ValueError: Wrong rank or shape, NaN, or values outside `input_range`.
            TypeError: Non-numeric data.
        """
        if isinstance(x, tf.data.Dataset):
            raise TypeError(
                f"{type(self).__name__}.{where} takes a batch (array or tensor), "
                "got a tf.data.Dataset; iterate over it or use fit/evaluate/predict."
            )
        self._check_shape(np.shape(x), where)
        if tf.executing_eagerly():
            self._check_values(x, where)
        # float32 in: the networks cast to their compute dtype, losses stay float32.
        return tf.cast(tf.convert_to_tensor(x), "float32")

    def check_codes(self, z, where, size=None):
        """Codes `[batch, size]` (default `latent_dim`) as float32: numeric,
        finite (checked eagerly) and of that shape, else a `TypeError` or
        `ValueError` naming what was expected and what came."""
        size = self.latent_dim if size is None else size
        if not tf.is_tensor(z):
            z = np.asarray(z)
            if not np.issubdtype(z.dtype, np.number) or z.dtype == np.bool_:
                raise TypeError(
                    f"{type(self).__name__}.{where} takes numeric codes, got an "
                    f"array of {z.dtype}."
                )
        z = tf.cast(tf.convert_to_tensor(z), "float32")
        if z.shape.rank != 2 or z.shape[-1] != size:
            raise ValueError(
                f"{type(self).__name__}.{where} expected codes of shape (batch, "
                f"{size}), got {tuple(z.shape)}."
            )
        if tf.executing_eagerly() and not bool(tf.reduce_all(tf.math.is_finite(z))):
            raise ValueError(
                f"{type(self).__name__}.{where} expected finite codes, got NaN or "
                "infinite values."
            )
        return z

    def _batch_checks(self, batch, where):
        """In-graph checks of one `(x, y, ...)` batch: tf.debugging assertions whose
        failure stops the pipeline before the step that would train on it. The
        emptiness and shape checks run first, so that an empty batch or one of
        another shape is named as such rather than by a value check it also fails."""
        name = f"{_CHECK_TAG}: {type(self).__name__}.{where}"
        x = batch[0]
        # A later batch with no example would train on the mean of nothing.
        # (tf.size, not the first dimension: a batch of rank 0 reaches the shape
        # check below rather than failing here.)
        some = tf.greater(tf.size(x), 0)
        first = [tf.debugging.Assert(some, [f"{name} empty"])]
        if _open_shape(x.shape):
            # A dataset of varying image size or rank (a generator's): each batch's
            # own shape. The shape is padded with zeros to the expected rank, so
            # a batch of another rank compares unequal rather than failing.
            rank = len(self.data_shape) + 1
            shape = tf.shape(x)
            sizes = tf.concat([shape, tf.zeros([rank], shape.dtype)], 0)[1:rank]
            same = tf.logical_and(
                tf.equal(tf.size(shape), rank),
                tf.reduce_all(tf.equal(sizes, self.data_shape)),
            )
            with tf.control_dependencies(first):
                first.append(tf.debugging.Assert(same, [f"{name} shape", shape]))
        with tf.control_dependencies(first):
            return first + self._value_checks(batch, name, where)

    def _value_checks(self, batch, name, where):
        x = batch[0]
        checks = []
        if x.dtype.is_floating:
            finite = tf.reduce_all(tf.math.is_finite(x))
            checks.append(tf.debugging.Assert(finite, [f"{name} nan"]))
        if self.input_range is not None:
            lo, hi = self.input_range
            low, high = tf.reduce_min(x), tf.reduce_max(x)
            ok = tf.logical_and(
                low >= tf.cast(lo, x.dtype), high <= tf.cast(hi, x.dtype)
            )
            checks.append(tf.debugging.Assert(ok, [f"{name} range", low, high]))
        if self.takes_labels and len(batch) > 1 and batch[1] is not None:
            labels = batch[1]
            # The first batch's labels were checked to be `(batch,)` eagerly; a
            # signature that leaves their rank open gets each batch's checked.
            if labels.shape.rank in (1, None):
                count = tf.logical_and(
                    tf.equal(tf.rank(labels), 1),
                    tf.equal(tf.size(labels), tf.shape(x)[0]),
                )
                checks.append(
                    tf.debugging.Assert(
                        count, [f"{name} count", tf.shape(x)[0], tf.size(labels)]
                    )
                )
                values = tf.reshape(tf.cast(labels, "float64"), [-1])
                integral = tf.reduce_all(tf.equal(values, tf.round(values)))
                known = values
                if self.accepts_unlabelled:
                    known = tf.boolean_mask(values, values != UNLABELLED)
                ok = tf.logical_and(
                    integral,
                    tf.logical_and(
                        tf.reduce_all(known >= 0),
                        tf.reduce_all(known < self.num_classes),
                    ),
                )
                # (Only read when the check fails, so `known` is not empty.)
                low, high = tf.reduce_min(known), tf.reduce_max(known)
                checks.append(tf.debugging.Assert(ok, [f"{name} labels", low, high]))
                if self.needs_labelled_examples and where == "fit":
                    some = tf.reduce_any(values >= 0)
                    checks.append(tf.debugging.Assert(some, [f"{name} unlabelled"]))
        return checks

    def _checked_dataset(self, dataset, where):
        """`dataset` with every batch checked in the graph (NaN, range, labels).

        A bad batch stops the pipeline with a tagged error before the training step
        that would consume it, so no weight is updated on it (nor on any later
        batch); `fit` turns the error into a `ValueError`. The checks run in the
        tf.data graph rather than in the jit-compiled step because XLA drops
        assertions."""
        nested = isinstance(dataset.element_spec, tuple)

        def check(*batch):
            with tf.control_dependencies(self._batch_checks(batch, where)):
                out = tuple(tf.identity(b) for b in batch)
                if _open_shape(out[0].shape):  # checked: say so
                    x = tf.ensure_shape(out[0], (None, *self.data_shape))
                    out = (x, *out[1:])
                if self.takes_labels and len(out) > 1 and out[1].shape.rank is None:
                    out = (out[0], tf.ensure_shape(out[1], (None,)), *out[2:])
            return out if nested else out[0]

        return dataset.map(
            check, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
        )

    def _input_error(self, error, where):
        """The ValueError for a tagged in-graph check failure, or None."""
        text = str(error)
        if _CHECK_TAG not in text:
            return None
        cls = f"{type(self).__name__}.{where}"
        numbers = _NUMBER.findall(text.split(_CHECK_TAG, 1)[1])
        if f"{cls} shape" in text:
            got = _SHAPE.search(text.split(_CHECK_TAG, 1)[1])
            got = tuple(map(int, got.group(1).split())) if got else "?"
            return ValueError(
                f"{cls} expected inputs of shape (batch, "
                f"{', '.join(map(str, self.data_shape))}), got shape {got} in a batch."
            )
        if f"{cls} count" in text:
            examples, given = (numbers + ["?", "?"])[:2]
            return ValueError(
                f"{cls} expected one label per example ({examples}), got {given} "
                "in a batch."
            )
        if f"{cls} empty" in text:
            return ValueError(
                f"{cls} expected at least one example in every batch, got an empty "
                "batch."
            )
        if f"{cls} nan" in text:
            return ValueError(
                f"{cls} expected finite input values, got NaN or infinite ones in a "
                "batch."
            )
        if f"{cls} range" in text:
            low, high = (numbers + ["?", "?"])[:2]
            return ValueError(self._range_message(where, low, high) + " (in a batch)")
        if f"{cls} unlabelled" in text:
            return ValueError(self._no_labelled_message(where) + " (in a batch)")
        low, high = (numbers + ["?", "?"])[:2]
        return ValueError(
            f"{cls} expected integer labels in [0, {self.num_classes})"
            + (f" or {UNLABELLED} (unlabelled)" if self.accepts_unlabelled else "")
            + f", got labels in [{low}, {high}] in a batch."
        )

    def _validate_fit_data(self, x, y, where):
        """Eager checks of `fit`/`evaluate` data before anything is traced.

        Returns `x`, a dataset wrapped so that every later batch is checked too."""
        if x is None:
            return x
        cls = type(self).__name__
        if isinstance(x, tf.data.Dataset):
            spec = x.element_spec
            first = spec[0] if isinstance(spec, tuple) else spec
            if isinstance(first, dict) or not hasattr(first, "shape"):
                raise TypeError(
                    f"{cls}.{where} expects a dataset of x or (x, y) batches, got "
                    f"element_spec {spec}."
                )
            if first.shape.rank is not None:  # else each batch's rank is checked
                self._check_shape(first.shape, where)
            self._check_dtype(first.dtype, where)
            batch = next(iter(x.take(1)), None)
            if batch is None:
                raise ValueError(
                    f"{cls}.{where} expected at least one batch, got an empty dataset."
                )
            batch = batch if isinstance(batch, tuple) else (batch,)
            self._check_shape(batch[0].shape, where)
            if batch[0].shape[0] == 0:
                raise ValueError(
                    f"{cls}.{where} expected at least one example in every batch, "
                    "got an empty first batch."
                )
            self._check_values(batch[0].numpy(), where)
            if self.takes_labels:
                labels = batch[1].numpy() if len(batch) > 1 else None
                self._check_class_labels(
                    labels,
                    where,
                    unlabelled=self._unlabelled,
                )
                if where == "fit":
                    self._check_some_labelled(labels, where)
            return self._checked_dataset(x, where)
        if isinstance(x, np.ndarray | tf.Tensor | list):
            if len(x) == 0:
                raise ValueError(
                    f"{cls}.{where} expected at least one example, got an empty array."
                )
            self._check_shape(np.shape(x), where)
            self._check_values(x, where)
            if self.takes_labels:
                labels = self._check_class_labels(y, where, unlabelled=self._unlabelled)
                if len(labels) != len(x):
                    raise ValueError(
                        f"{cls}.{where} expected one label per example ({len(x)}), "
                        f"got {len(labels)}."
                    )
                if where == "fit":
                    self._check_some_labelled(labels, where)
        return x

    # -- labels ----------------------------------------------------------------

    @staticmethod
    def _checked_num_classes(num_classes):
        if isinstance(num_classes, bool) or int(num_classes) != num_classes:
            raise ValueError(f"num_classes must be an integer, got {num_classes!r}.")
        if num_classes < 2:
            raise ValueError(f"num_classes must be at least 2, got {num_classes}.")
        return int(num_classes)

    def _check_class_labels(self, labels, where, n=None, unlabelled=None):
        """Validates integer class labels in `[0, num_classes)` at the edge.

        Args:
            labels: Array-like of shape `(batch,)` (or one class, given `n`).
            where: The verb being validated, for the message.
            n: The number of labels expected; a scalar is repeated `n` times.
            unlabelled: A value also accepted, marking an unlabelled example
                (the semi-supervised models use -1).

        Returns:
            The labels as int32 numpy (a symbolic tensor is returned as is).
        """
        name = f"{type(self).__name__}.{where}"
        if labels is None:
            raise ValueError(
                f"{name} needs class labels: integers in [0, {self.num_classes}) "
                "(fit on (x, y) batches), got none."
            )
        if isinstance(labels, tf.Tensor) and not tf.executing_eagerly():
            return labels
        values = np.asarray(labels)
        if values.dtype.kind not in "iu" and not (
            values.dtype.kind == "f" and np.all(values == np.round(values))
        ):
            raise ValueError(
                f"{name} expected integer class labels, got dtype {values.dtype}."
            )
        if n is not None and values.ndim == 0:
            values = np.full(n, int(values))
        if values.ndim != 1 or (n is not None and len(values) != n):
            expected = "(batch,)" if n is None else f"({n},)"
            raise ValueError(
                f"{name} expected labels of shape {expected}, got shape {values.shape}."
            )
        known = values if unlabelled is None else values[values != unlabelled]
        if known.size and (known.min() < 0 or known.max() >= self.num_classes):
            raise ValueError(
                f"{name} expected labels in [0, {self.num_classes})"
                + ("" if unlabelled is None else f" or {unlabelled} (unlabelled)")
                + f", got labels in [{known.min()}, {known.max()}]."
            )
        return values.astype("int32")

    def _refuse_labels(self, labels, where):
        """A `ValueError` for labels given to a verb that has no use for them (an
        unconditional generator or decoder): silently ignoring them would hide
        the user's mistake."""
        if labels is not None:
            shape = np.shape(labels) if not isinstance(labels, str) else "a string"
            raise ValueError(
                f"{type(self).__name__}.{where} is unconditional: expected "
                f"labels=None, got labels of shape {shape}."
            )

    def call_inputs(self, x, labels=None):
        """What `call` takes for a batch `x` (conditional models: `(x, labels)`)."""
        return x

    @staticmethod
    def _check_count(n, name="n"):
        return check_positive_int(n, name)
