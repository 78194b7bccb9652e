"""Evaluation by capability, and what each measured number means.

A model class says what it is measured on in `evaluations`, a tuple of capability
names; a preset's recipe may choose instead (`evaluations`, or `sample_metrics`,
which asks for the sample evaluator). Each capability is one evaluator over a
dataset of `x` or `(x, y)` batches, built on the model's own verbs:

- `"losses"`: the model's per-example loss terms (`compute_losses`), averaged.
- `"reconstruction"`: the same, for a model that reconstructs (an autoencoder);
  the cards then show its reconstructions.
- `"likelihood"`: ELBO terms and the importance-sampled NLL (`log_likelihood`).
- `"samples"`: sample quality of fixed-noise samples (`noise_batch`, `generate`):
  Parzen window, FID, Inception Score, class fractions, label accuracy.
- `"clusters"`: accuracy, NMI and ARI of `predict_clusters` against the labels.
- `"classes"`: accuracy and error of `predict_classes` against the labels.

`METRIC_DOCS` holds the description of every metric that a model card prints.
"""

import os
import resource
import time
import weakref

import numpy as np
import tensorflow as tf
from keras import ops
from scipy import stats

from . import data, features, metrics, zoo
from .metric_docs import METRIC_DOCS, TERM_DOCS
from .models.shapes import positive_int

TEST_COMMAND = "keras-gen evaluate {name}"


def _split(batch):
    return (batch[0], batch[1]) if isinstance(batch, tuple) else (batch, None)


def _labelled(model, batch, where):
    x, y = _split(batch)
    if y is None:
        raise ValueError(
            f"{type(model).__name__} {where} expected (x, y) batches, got batches "
            "of x only (load with supervised=True)."
        )
    return x, y


_LOSS_STEPS = weakref.WeakKeyDictionary()


def _loss_step(model):
    """`model.compute_losses` as one tf.function per model, kept between calls (a
    new function per evaluation retraced every time, and TensorFlow warned)."""
    if model not in _LOSS_STEPS:
        ref = weakref.ref(model)  # the cache must not keep the model alive
        _LOSS_STEPS[model] = tf.function(lambda x, y: ref().compute_losses(x, y))
    return _LOSS_STEPS[model]


def loss_terms(model, dataset, **_):
    """The model's per-example loss terms over `dataset`, averaged per example.

    Labels go to `compute_losses` where the batches carry them (a model that
    takes labels needs them). Returns the terms and `examples`.
    """
    sums, count = {}, 0
    step = _loss_step(model)
    for batch in dataset:
        if model.takes_labels:
            x, y = _labelled(model, batch, "evaluation")
        else:
            x, y = _split(batch)
        model.validate_inputs(x, "evaluate")
        for key, value in step(x, y).items():
            sums[key] = sums.get(key, 0.0) + float(ops.sum(value))
        count += int(x.shape[0])
    return {key: value / count for key, value in sums.items()} | {"examples": count}


def likelihood(model, dataset, num_samples=5000, batch_size=100, **_):
    """Test ELBO terms and the importance-sampled NLL over `dataset`.

    Returns:
        Dict: `nll` (-`log_likelihood` with `num_samples` draws), `reconstruction`,
        `kl` (one posterior sample per image), `elbo`, all nats per image, and
        `examples`. A model that takes labels gets them (-log p(x|y)).
    """
    sums, count = {"nll": 0.0}, 0
    step = _loss_step(model)
    for batch in dataset:
        x, y = _split(batch)
        y = y if model.takes_labels else None
        terms = step(x, y)
        for key in ("reconstruction", "kl"):
            sums[key] = sums.get(key, 0.0) + float(ops.sum(terms[key]))
        for i in range(0, len(x), batch_size):
            labels = None if y is None else np.asarray(y[i : i + batch_size])
            ll = model.log_likelihood(x[i : i + batch_size], num_samples, labels=labels)
            sums["nll"] -= float(ll.sum())
        count += int(x.shape[0])
    out = {key: value / count for key, value in sums.items()}
    out["elbo"] = -(out["reconstruction"] + out["kl"])
    return out | {"examples": count}


def evaluation_samples(model, n=10000, batch=1000):
    """`n` samples from fixed noise (`noise_batch(n, seed=0)`), and their labels
    (classes in turn, equal counts) for a model that samples given classes
    (`conditional_sampling`), else `None`."""
    z = model.noise_batch(n, seed=0)
    labels = np.arange(n) % model.num_classes if model.conditional_sampling else None
    parts = [
        model.generate(
            z[i : i + batch], None if labels is None else labels[i : i + batch]
        ).numpy()
        for i in range(0, n, batch)
    ]
    return np.concatenate(parts), labels


def _images(dataset):
    return np.concatenate([_split(b)[0].numpy() for b in dataset])


def sample_quality(
    model, dataset, validation=None, metrics=None, n=10000, fid_reference=None, **_
):
    """Sample-quality metrics of `n` samples (fixed noise) against `dataset`.

    Args:
        model: A model with `noise_batch(n, seed)` and `generate(z, labels)`.
        dataset: Batches of test examples (or `(x, y)` pairs).
        validation: Batches the Parzen sigma is chosen on (first 1,000 used).
        metrics: Any of `"parzen"` (Gaussian Parzen window log-likelihood, as in
            the GAN paper), `"fid"`, `"inception_score"`, `"class_fractions"` and,
            for a model that samples given classes, `"label_accuracy"` (on the
            `mnist_classifier` preset's outputs). Default `("parzen",)`, or
            `("fid",)` for a model that takes labels.
        n: Samples drawn.
        fid_reference: `None` (FID against `dataset`'s images) or `"mnist_test"`
            (the shipped statistics of all 10,000 MNIST test images: the cards').

    Returns:
        A dict of floats, with `examples` (test examples used) first.
    """
    if metrics is None:
        metrics = ("fid",) if model.takes_labels else ("parzen",)
    test = _images(dataset)
    samples, labels = evaluation_samples(model, n)
    out = {"examples": len(test)}
    if "parzen" in metrics:
        out |= _parzen(samples, test, validation)
    if "fid" in metrics:
        reference = test if fid_reference is None else fid_reference
        out["fid"] = float(features.frechet_distance(samples, reference=reference))
    if "inception_score" in metrics:
        out["inception_score"] = float(features.inception_score(samples)[0])
    if "class_fractions" in metrics:
        fractions = features.class_fractions(samples)
        out |= {
            "min_class_fraction": float(np.min(fractions)),
            "max_class_fraction": float(np.max(fractions)),
        }
    if "label_accuracy" in metrics:
        if labels is None:
            raise ValueError(
                "label_accuracy needs a model that samples given classes "
                f"(conditional_sampling), got a {type(model).__name__}, which "
                "does not."
            )
        probs = features.load_classifier().predict_proba(samples)
        out["label_accuracy"] = float(np.mean(np.argmax(probs, -1) == labels))
    return out


def _parzen(samples, test, validation):
    if validation is None:
        raise ValueError("Parzen evaluation needs a validation split.")
    val = _images(validation.take(2))[:1000]
    sigma, _ = metrics.select_parzen_sigma(samples, val)
    ll = metrics.parzen_log_likelihood(samples, test, sigma)
    return {
        "parzen_log_likelihood": float(ll.mean()),
        "parzen_std_error": float(ll.std() / np.sqrt(len(ll))),
        "parzen_sigma": float(sigma),
    }


def clusters(model, dataset, **_):
    """Accuracy, NMI and ARI of `predict_clusters` on `(x, y)` batches (on `x`
    batches there are no labels to score against: `{}`)."""
    if not isinstance(next(iter(dataset)), tuple):
        return {}
    xs, ys = zip(*[(b[0], b[1]) for b in dataset], strict=True)
    found = model.predict_clusters(np.concatenate(xs))
    labels = np.concatenate(ys)
    return {
        "accuracy": metrics.clustering_accuracy(labels, found),
        "nmi": metrics.normalized_mutual_info(labels, found),
        "ari": metrics.adjusted_rand_index(labels, found),
    }


def classes(model, dataset, **_):
    """Test accuracy and error of `predict_classes` over `(x, y)` batches."""
    hits, count = 0, 0
    for batch in dataset:
        x, y = _labelled(model, batch, "evaluation")
        hits += int(np.sum(np.asarray(model.predict_classes(x)) == y.numpy()))
        count += int(x.shape[0])
    accuracy = hits / count
    return {"accuracy": accuracy, "error": 1.0 - accuracy, "examples": count}


def prior_fit(model, dataset, n=5000, **_):
    """How close the test codes are to the prior: a two-sample statistic.

    Returns the unbiased MMD^2 between `n` test codes (`encode`) and `n` prior
    samples (Gaussian kernel, bandwidth by the median heuristic on both), the
    same MMD^2 between two independent prior samples (its noise floor), and the
    largest per-axis Kolmogorov-Smirnov statistic (scipy's `ks_2samp`).
    """
    codes = np.concatenate([np.asarray(model.encode(_split(b)[0])) for b in dataset])
    codes = codes[:n]
    prior = np.asarray(model.prior_samples(len(codes), seed=0))
    other = np.asarray(model.prior_samples(len(codes), seed=1))
    bandwidth = metrics.median_bandwidth(codes, prior)
    ks = [
        stats.ks_2samp(codes[:, i], prior[:, i]).statistic
        for i in range(codes.shape[1])
    ]
    return {
        "prior_mmd2": metrics.mmd_squared(codes, prior, bandwidth),
        "prior_mmd2_floor": metrics.mmd_squared(other, prior, bandwidth),
        "prior_ks_max": float(np.max(ks)),
        "mmd_bandwidth": bandwidth,
    }


def named_clusters(model, dataset, **_):
    """Error and accuracy of clusters named by the paper's rule (each cluster
    takes the label of its most probable training example, `name_clusters`)."""
    out = classes(model, dataset)
    return {
        "paper_rule_error": out["error"],
        "paper_rule_accuracy": out["accuracy"],
        "examples": out["examples"],
    }


EVALUATORS = {
    "losses": loss_terms,
    "reconstruction": loss_terms,
    "likelihood": likelihood,
    "samples": sample_quality,
    "clusters": clusters,
    "classes": classes,
    "prior_fit": prior_fit,
    "named_clusters": named_clusters,
}


def capabilities(model_class, recipe=None):
    """The capability names `model_class` is evaluated on (the recipe's choice,
    else the class's `evaluations`)."""
    recipe = recipe or {}
    if "evaluations" in recipe:
        return tuple(recipe["evaluations"])
    if "sample_metrics" in recipe:
        return ("samples",)
    return tuple(model_class.evaluations)


def metric_docs(model_class, recipe=None):
    """`{metric: description}` for the metrics of `model_class` (as cards print)."""
    docs = {}
    for kind in capabilities(model_class, recipe):
        docs |= METRIC_DOCS.get(kind, {})
    for cls in reversed(model_class.__mro__):
        docs |= TERM_DOCS.get(cls.__name__, {})
    return docs


def evaluate(model, dataset, evaluations=None, **options):
    """Measures `model` on `dataset` with the evaluator of each capability.

    Args:
        model: A keras_gen model.
        dataset: A `tf.data.Dataset` of `x` or `(x, y)` batches.
        evaluations: Capability names (default the model's `evaluations`).
        **options: Passed to every evaluator (e.g. `validation`, `metrics`,
            `num_samples`); each takes the ones it knows.

    Returns:
        Dict of metric name to float, plus `examples`.

    Example:
        >>> keras_gen.evaluation.evaluate(ae, keras_gen.data.load("mnist", "test"))
    """
    kinds = capabilities(type(model)) if evaluations is None else evaluations
    out = {}
    for kind in kinds:
        if kind not in EVALUATORS:
            raise ValueError(
                f"Unknown evaluation {kind!r}; known: {', '.join(EVALUATORS)}."
            )
        out |= EVALUATORS[kind](model, dataset, **options)
    return out


def preset_dataset(
    preset,
    split,
    batch_size,
    data_dir=None,
    shuffle=None,
    supervised=False,
    training=False,
    recipe=None,
):
    """The dataset a preset's recipe (or `recipe`, a variant of it) trains or
    evaluates on, for `split`."""
    recipe = preset.recipe if recipe is None else recipe
    options = dict(recipe.get("data", {}))
    if not split.startswith("train") and "test_data" in recipe:
        # e.g. a fixed binarization of the test images instead of a fresh one.
        options = dict(recipe["test_data"])
    if training and "semi_supervised" in recipe:
        return data.load_semi_supervised(
            preset.dataset,
            split,
            batch_size,
            data_dir=data_dir,
            **recipe["semi_supervised"],
            **options,
        )
    return data.load(
        preset.dataset,
        split,
        batch_size,
        data_dir=data_dir,
        shuffle=shuffle,
        supervised=supervised,
        **options,
    )


def evaluate_preset(
    name, split="test", limit=None, batch_size=500, data_dir=None, model=None, skip=0
):
    """Measures a preset's metrics on a split (its pretrained weights by default).

    Args:
        name: Preset name.
        split: TFDS split string.
        limit: Use only the first `limit` examples (after `skip`).
        batch_size: Evaluation batch size.
        data_dir: TFDS data dir.
        model: Evaluate this model instead of the pretrained preset.
        skip: Leave out the first `skip` examples (with `limit`: disjoint subsets
            of a split, as benchmarks/card_noise.py measures a card's noise).

    Returns:
        Dict of metric name to float, plus `examples`.
    """
    preset = zoo.get_preset(name)
    if model is None:
        model = zoo.create_model(name, pretrained=True)
    supervised = preset.recipe.get("supervised_metrics", False)
    ds = preset_dataset(
        preset, split, batch_size, data_dir, shuffle=False, supervised=supervised
    )
    skip = positive_int(skip, "skip") if skip != 0 else 0  # 0 by default
    if skip or limit is not None:  # a limit of 0 is refused, not taken for "all"
        ds = ds.unbatch().skip(skip)
        if limit is not None:
            ds = ds.take(positive_int(limit, "limit"))
        ds = ds.batch(batch_size)
    options = {}
    if "validation_split" in preset.recipe:
        # Hyperparameters of a metric (e.g. the Parzen sigma) are chosen on it.
        options["validation"] = preset_dataset(
            preset,
            preset.recipe["validation_split"],
            batch_size,
            data_dir,
            shuffle=False,
            supervised=supervised,
        )
    if "sample_metrics" in preset.recipe:
        options["metrics"] = tuple(preset.recipe["sample_metrics"])
    if split == "test" and preset.dataset == "mnist":
        # The cards' FID: against all 10,000 test images, also on a subset.
        options["fid_reference"] = "mnist_test"
    kinds = capabilities(type(model), preset.recipe)
    return evaluate(model, ds, kinds, **options)


def measure(name, model, metadata, data_dir=None):
    """`metadata` with the test metrics, the evaluation's wall time and peak memory."""
    start, cpu_start = time.perf_counter(), time.process_time()
    values = evaluate_preset(name, data_dir=data_dir, model=model)
    wall = time.perf_counter() - start
    # Cores busy with other processes: the 1-minute load average less this
    # process's own use (its CPU time over the wall time); approximate, so the
    # card can say when its wall time was taken on shared cores.
    own = (time.process_time() - cpu_start) / max(wall, 1e-9)
    other_load = max(0.0, os.getloadavg()[0] - own)
    examples = values.pop("examples")
    return dict(metadata) | {
        "metrics": {
            "split": f"test ({examples} images)",
            "command": TEST_COMMAND.format(name=name),
            "values": values,
            "wall_time_s": round(wall, 1),
            "other_load": round(other_load, 1),
            # Linux reports kilobytes; the peak of the whole process so far.
            "peak_rss_mb": round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            ),
        }
    }
