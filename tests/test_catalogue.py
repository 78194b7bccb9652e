"""The bad-input catalogue: every entry point of every registered architecture meets
each hostile input of the list below, and each gets a ValueError or TypeError whose
message says what was expected and what came, with the model's weights and
optimizer state unchanged afterwards. (A bad value in a *later* batch of a tf.data
pipeline: `harness.check_every_batch_is_checked`.)"""

import inspect
import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from keras_gen import cli, data, zoo

from . import harness

ARCHITECTURES = harness.architectures()
VERBS = [
    "fit",
    "evaluate",
    "encode",
    "reconstruct",
    "decode",
    "log_likelihood",
    "predict_classes",
    "predict_clusters",
    "anomaly_score",
    "sample",
]
# A message must say both what came ("got", the library's wording, or Keras' own
# "received" / "found") and what was expected ("expected" / "must" / "needs" /
# "takes", the library's wordings, or "should" / "only" / "at least").
# ("was"/"is" do not count: "what was expected" would then say both.)
SAYS_WHAT_CAME = re.compile(r"\b(got|received|found|came)\b")
SAYS_WHAT_WAS_EXPECTED = re.compile(
    r"\b(expected|expects?|must|needs?|should|takes|only|at least)\b"
)


def says_what_was_expected_and_what_came(message):
    message = message.lower()
    return bool(SAYS_WHAT_CAME.search(message)) and bool(
        SAYS_WHAT_WAS_EXPECTED.search(message)
    )


@pytest.mark.parametrize(
    "message, clear",
    [
        ("bad input", False),
        ("expected (28, 28, 1)", False),
        ("got shape (8, 784)", False),
        ("Autoencoder.fit got NaN or infinite input values.", False),
        ("forgotten, unexpectedly", False),  # whole words only
        ("a float was expected", False),
        ("expected inputs of shape (batch, 28, 28, 1), got shape (8, 784).", True),
        ("n must be a positive integer, got -1.", True),
        ("Input 0 is incompatible: expected shape=(None, 3), found shape=(8, 4)", True),
    ],
)
def test_the_clear_message_predicate_needs_both_halves(message, clear):
    assert says_what_was_expected_and_what_came(message) is clear


def _shape(bad):
    return re.escape(str(tuple(np.shape(bad))))


def image_cases(model):
    """`{case: (bad images, a pattern of what came that the message must quote)}`
    for a model of `model.data_shape` inputs."""
    x = harness.fake_batch(model, 8)
    shape = model.data_shape
    rank = len(shape) + 1
    wrong_rank = x.reshape(8, -1) if len(shape) > 1 else x[:, :, None]
    uint8 = (x * 255).astype("uint8")
    cases = {
        "wrong rank": (wrong_rank, _shape(wrong_rank)),
        "uint8 0-255": (uint8, rf"\b{uint8.max()}\b"),
        "NaN pixel": (
            np.where(np.arange(8).reshape((8,) + (1,) * (rank - 1)) == 3, np.nan, x),
            "nan",
        ),
        "Inf pixel": (np.where(x > 0.5, np.inf, x), "inf"),
        "strings": (np.full(x.shape, "a"), "<U1|str"),
    }
    if len(shape) == 3:
        h, w, c = shape
        size = np.zeros((8, h + 4, w + 4, c), "float32")
        channels = np.zeros((8, h, w, c + 2), "float32")
        cases["wrong size"] = (size, _shape(size))
        cases["wrong channels"] = (channels, _shape(channels))
    return {
        k: v
        for k, v in cases.items()
        if not (k == "uint8 0-255" and model.input_range is None)
    }


def label_cases(model, n=8):
    """`{case: (bad labels, what came)}`."""
    k = model.num_classes or 10
    return {
        "label out of range": (np.full(n, k + 3), rf"\b{k + 3}\b"),
        # -1 is "unlabelled" to the semi-supervised models; -2 is nothing.
        "negative label": (np.full(n, -2), r"-2\b"),
        "float labels": (np.full(n, 0.5, "float32"), "float32"),
        "string labels": (np.array(["1"] * n), "<U1|str"),
        "labels of another length": (np.zeros(n - 3, "int64"), rf"\b{n - 3}\b"),
    }


def takes_label_argument(fn):
    return "labels" in inspect.signature(fn).parameters


# How a verb with a `labels` parameter uses them, where the model's `takes_labels`
# (fit takes labels) and the parameter's default do not say it:
LABEL_USE = {
    # Its generator is unconditional; only the discriminator's training uses labels.
    ("SemiSupervisedGAN", "sample"): "refused",
    # Labels name clusters here: sampling one cluster is what they are for.
    ("ClusteringAAE", "sample"): "optional",
    # None: infer y with the classifier, or draw random classes.
    ("SemiSupervisedVAE", "encode"): "optional",
    ("SemiSupervisedVAE", "sample"): "optional",
    ("SemiSupervisedAAE", "sample"): "optional",
}


def label_use(model, verb):
    """ "required", "optional" (None is meaningful) or "refused" (unconditional)."""
    name = type(model).__name__
    if (name, verb) in LABEL_USE:
        return LABEL_USE[name, verb]
    parameter = inspect.signature(getattr(model, verb)).parameters["labels"]
    required = parameter.default is inspect.Parameter.empty
    return "required" if required or model.takes_labels else "refused"


def _label_verb_cases(model, verb, call, n):
    """The label cases of a verb taking `labels`: `call(labels)` runs it; `n` is
    how many it needs. A verb that uses labels gets every bad label (and none at
    all, unless None means something to it); an unconditional one must refuse
    labels it cannot use rather than ignore them."""
    use = label_use(model, verb)
    if use == "refused":
        given = np.zeros(n, "int64")
        return {
            "labels to an unconditional model": (
                lambda: call(given),
                rf"uncond.*{_shape(given)}",
            )
        }
    out = {
        case: (lambda y=bad: call(y), came)
        for case, (bad, came) in label_cases(model, n).items()
    }
    if use == "required":
        out["labels missing"] = (lambda: call(None), r"\bnone\b")
    return out


def calls(model, verb):
    """`{case: (zero-argument call, pattern of what came)}` of the catalogue's cases
    for `verb`: the call must be refused with a message saying what was expected
    and quoting what came (so that a refusal for another reason does not count)."""
    labels = harness.fake_labels(model, 8)
    x = harness.fake_batch(model, 8)
    needs = model.takes_labels

    def with_labels(fn):
        return lambda bad: fn(bad, labels) if needs else fn(bad)

    if hasattr(model, "name_clusters") and verb == "predict_classes":
        model.name_clusters(x, labels % (model.num_classes or 10))
    if verb == "fit":
        run = with_labels(lambda b, y=None: model.fit(b, y, epochs=1, verbose=0))
    elif verb == "evaluate":
        run = with_labels(lambda b, y=None: model.evaluate(b, y, verbose=0))
    elif verb == "sample":
        if not hasattr(model, "sample"):
            return {}

        def draw(n):
            # Labels of the right length where n is one, so that only the count
            # can be what is refused.
            ok = isinstance(n, int) and n > 0
            return model.sample(n, labels=labels[:n] if ok else labels[:1])

        out = {
            f"n={n!r}": (
                (lambda n=n: draw(n))
                if label_use(model, verb) != "refused"
                else (lambda n=n: model.sample(n)),
                re.escape(f"got {n!r}"),
            )
            for n in (0, -1, "3", 2.5, None)
        }
        return out | _label_verb_cases(
            model, verb, lambda y: model.sample(8, labels=y), 8
        )
    elif verb == "decode":
        if not hasattr(model, "decode") or not hasattr(model, "latent_dim"):
            return {}
        wide = np.zeros((4, model.latent_dim + 3), "float32")
        nan = np.full((4, model.latent_dim), np.nan, "float32")
        text = np.full((4, model.latent_dim), "a")
        takes = takes_label_argument(model.decode)
        extra = (labels[:4],) if takes and label_use(model, verb) != "refused" else ()
        out = {
            "wrong latent size": (lambda: model.decode(wide, *extra), _shape(wide)),
            "NaN code": (lambda: model.decode(nan, *extra), "nan"),
            "string code": (lambda: model.decode(text, *extra), "<U1|str"),
        }
        if takes:
            code = np.zeros((4, model.latent_dim), "float32")
            out |= _label_verb_cases(
                model, verb, lambda y: model.decode(code, labels=y), 4
            )
        return out
    elif hasattr(model, verb):
        fn = getattr(model, verb)
        # `labels` by name: it is not always the second parameter (log_likelihood).
        given = (
            labels
            if takes_label_argument(fn) and label_use(model, verb) != "refused"
            else None
        )
        run = (lambda b, fn=fn: fn(b, labels=given)) if takes_label_argument(fn) else fn
    else:
        return {}
    out = {
        case: (lambda b=bad: run(b), came)
        for case, (bad, came) in image_cases(model).items()
    }
    if verb in ("fit", "evaluate"):
        out["empty dataset"] = (lambda: run(x[:0]), "empty")
        empty = harness.fit_data(model, x[:0])
        empty = tf.data.Dataset.from_tensor_slices(empty).batch(8)
        out["empty tf.data dataset"] = (
            (lambda: model.fit(empty, epochs=1, verbose=0))
            if verb == "fit"
            else (lambda: model.evaluate(empty, verbose=0)),
            "empty",
        )
        if needs:
            out |= {
                case: (
                    (lambda y=bad: model.fit(x, y, epochs=1, verbose=0))
                    if verb == "fit"
                    else (lambda y=bad: model.evaluate(x, y, verbose=0)),
                    came,
                )
                for case, (bad, came) in label_cases(model).items()
            }
            out["labels missing"] = (
                (lambda: model.fit(x, epochs=1, verbose=0))
                if verb == "fit"
                else (lambda: model.evaluate(x, verbose=0)),
                r"\bnone\b",
            )
    else:
        fn = getattr(model, verb)
        if takes_label_argument(fn):
            out |= _label_verb_cases(model, verb, lambda y: fn(x, labels=y), 8)
    if verb == "log_likelihood":
        extra = {"labels": labels} if needs else {}
        out["num_samples=0"] = (
            lambda: model.log_likelihood(x, num_samples=0, **extra),
            re.escape("got 0"),
        )
    return out


@pytest.fixture(scope="module")
def models():
    built = {}
    for arch, name in ARCHITECTURES.items():
        model = harness.small_model(name)
        harness.compile_model(model)
        model._build_optimizers()
        built[arch] = model
    return built


@pytest.mark.parametrize("verb", VERBS)
@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_bad_input_is_refused_clearly_and_changes_nothing(models, arch, verb):
    model = models[arch]
    cases = calls(model, verb)
    if not cases:
        pytest.skip(f"{arch} has no {verb}")
    weights, state = harness.weights_of(model), harness.optimizer_state(model)
    for case, (call, came) in cases.items():
        try:
            call()
        except (ValueError, TypeError) as err:
            assert says_what_was_expected_and_what_came(str(err)), (case, str(err))
            assert re.search(came, str(err), re.IGNORECASE), (case, came, str(err))
        else:
            raise AssertionError(f"{arch}.{verb} accepted {case}")
        harness.assert_same_weights(weights, model.get_weights())
        harness.assert_same_weights(state, harness.optimizer_state(model))


README = Path(__file__).resolve().parents[1] / "README.md"


def readme_catalogue_counts():
    """`(total, architectures, {verb: count})` as README's "Guarantees" states them."""
    guarantees = README.read_text().split("\n## Guarantees", 1)[1].split("\n## ", 1)[0]
    bullet = next(
        b for b in guarantees.split("\n- ") if b.startswith("**Bad input is refused")
    )
    stated = re.search(r"runs (\d+)\s+hostile calls over the (\d+) architec", bullet)
    assert stated, bullet
    per_verb = {verb: int(n) for verb, n in re.findall(r"`(\w+)` (\d+)", bullet)}
    return int(stated[1]), int(stated[2]), per_verb


def test_catalogue_covers_every_entry_point_as_the_readme_says(models):
    """How many cases each entry point meets: README "Guarantees" states the counts."""
    counts = {verb: sum(len(calls(m, verb)) for m in models.values()) for verb in VERBS}
    assert all(counts.values()), counts
    assert readme_catalogue_counts() == (sum(counts.values()), len(models), counts), (
        f"README.md Guarantees should say {sum(counts.values())} hostile calls over "
        f"the {len(models)} architectures: "
        + ", ".join(
            f"`{v}` {n}" for v, n in sorted(counts.items(), key=lambda i: -i[1])
        )
    )


# The architectures that cannot train on a dataset of one batch of 1: the WGAN-GP's
# step takes k critic minibatches, which one batch cannot fill.
REFUSE_A_BATCH_OF_ONE = {"wgan_gp": "minibatches of 1 per training step"}


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_a_batch_of_one_trains_or_is_refused_clearly(arch):
    # A batch of 1 is valid input: it trains every other architecture (the
    # minimum), and evaluates all of them. The ones listed above refuse it saying
    # why, and change nothing.
    model = harness.small_model(ARCHITECTURES[arch])
    harness.compile_model(model)
    model._build_optimizers()
    weights, state = harness.weights_of(model), harness.optimizer_state(model)
    x = harness.fake_batch(model, 1)
    ds = tf.data.Dataset.from_tensor_slices(harness.fit_data(model, x)).batch(1)
    if arch in REFUSE_A_BATCH_OF_ONE:
        with pytest.raises(ValueError, match=REFUSE_A_BATCH_OF_ONE[arch]) as refused:
            model.fit(ds, epochs=1, verbose=0)
        assert says_what_was_expected_and_what_came(str(refused.value))
        harness.assert_same_weights(weights, model.get_weights())
        harness.assert_same_weights(state, harness.optimizer_state(model))
    else:
        harness.assert_finite_history(model.fit(ds, epochs=1, verbose=0))
        changed = harness.weights_of(model)
        pairs = zip(weights, changed, strict=True)
        assert any(not np.array_equal(u, v) for u, v in pairs), arch
    before = harness.weights_of(model)
    scores = model.evaluate(ds, verbose=0, return_dict=True)
    assert scores and all(np.isfinite(v) for v in scores.values()), scores
    harness.assert_same_weights(before, model.get_weights())


def _images(n=8):
    return np.random.default_rng(0).uniform(0, 1, (n, 28, 28, 1)).astype("float32")


OTHER_ENTRY_POINTS = {
    "create_model: misspelt name": (
        lambda: zoo.create_model("ae_mnst"),
        "did you mean ae_mnist",
    ),
    "create_model: not a string": (lambda: zoo.create_model(42), "got int 42"),
    "create_model: negative size": (
        lambda: zoo.create_model("ae_mnist", latent_dim=-1),
        "got -1",
    ),
    "create_model: string size": (
        lambda: zoo.create_model("ae_mnist", latent_dim="8"),
        "got '8'",
    ),
    "create_model: unknown argument": (
        lambda: zoo.create_model("ae_mnist", no_such_argument=1),
        "no_such_argument",
    ),
    "from_arrays: strings": (
        lambda: data.from_arrays(np.array([["a"]] * 8)),
        "got dtype <U1",
    ),
    "from_arrays: labels do not match": (
        lambda: data.from_arrays(_images(), np.arange(5)),
        "y has 5 labels but x has 8",
    ),
    "from_arrays: batch_size 0": (
        lambda: data.from_arrays(_images(), batch_size=0),
        "got 0",
    ),
    "from_arrays: empty": (lambda: data.from_arrays(_images(0)), "at least one"),
    "from_arrays: rank 1": (
        lambda: data.from_arrays(_images()[0].ravel()),
        "got shape (784,)",
    ),
    "from_arrays: float labels": (
        lambda: data.from_arrays(_images(), np.full(8, 0.5)),
        "got dtype float64",
    ),
    "from_arrays: NaN": (
        lambda: data.from_arrays(np.full((8, 28, 28, 1), np.nan, "float32")),
        "expected floats in [0, 1]",
    ),
    "from_arrays: Inf": (
        lambda: data.from_arrays(np.full((8, 28, 28, 1), np.inf, "float32")),
        "expected floats in [0, 1]",
    ),
    "from_arrays: take 0": (lambda: data.from_arrays(_images(), take=0), "got 0"),
    "from_arrays: take '3'": (lambda: data.from_arrays(_images(), take="3"), "got '3'"),
    "from_arrays: take 2.5": (lambda: data.from_arrays(_images(), take=2.5), "got 2.5"),
    "from_arrays: labelled_per_class 0": (
        lambda: data.from_arrays(_images(), np.arange(8) % 2, labelled_per_class=0),
        "labelled_per_class must be a positive integer, got 0",
    ),
    "from_arrays: labelled_per_class -1": (
        lambda: data.from_arrays(_images(), np.arange(8) % 2, labelled_per_class=-1),
        "got -1",
    ),
    "load_semi_supervised: labelled_per_class 0": (
        lambda: data.load_semi_supervised("mnist", "train", labelled_per_class=0),
        "labelled_per_class must be a positive integer, got 0",
    ),
    "load_semi_supervised: labelled_batch_size 0": (
        lambda: data.load_semi_supervised("mnist", "train", labelled_batch_size=0),
        "got 0",
    ),
    "load: unknown dataset": (lambda: data.load("no_such_dataset"), "Unknown dataset"),
    "load: missing folder": (
        lambda: data.load("/no/such/folder/of/images"),
        "No such folder",
    ),
    "load: batch_size -1": (lambda: data.load("mnist", batch_size=-1), "got -1"),
}


@pytest.mark.parametrize("case", sorted(OTHER_ENTRY_POINTS))
def test_create_model_and_the_data_loaders_refuse_clearly(case):
    call, says = OTHER_ENTRY_POINTS[case]
    with pytest.raises((ValueError, TypeError)) as refused:
        call()
    assert says in str(refused.value), str(refused.value)
    assert says_what_was_expected_and_what_came(str(refused.value)), str(refused.value)


CLI_CASES = [
    (["train", "nope"], "unknown architecture or preset 'nope'"),
    # Counts: refused by the parser, before a run that would train nothing and
    # still write a preset (`train --epochs 0` did).
    (
        ["train", "ae_mnist", "--epochs", "0"],
        "--epochs: expected a positive integer, got 0",
    ),
    (["train", "ae_mnist", "--epochs", "-1"], "expected a positive integer, got -1"),
    (["train", "ae_mnist", "--epochs", "x"], "expected a positive integer, got 'x'"),
    (["train", "ae_mnist", "--batch-size", "0"], "--batch-size: expected a positive"),
    (["train", "ae_mnist", "--checkpoint-steps", "0"], "--checkpoint-steps: expected"),
    (
        ["train", "ae_mnist", "--validation", "1.5"],
        "expected a fraction in [0, 1), got 1.5",
    ),
    (["train", "ae_mnist", "--seed", "-3"], "seed in [0, 2**32), got -3"),
    (
        ["train", "ae_mnist", "--set", "latent_dim=-2"],
        "must be a positive integer, got -2",
    ),
    (
        ["train", "ae_mnist", "--set", "latent_dim"],
        "--set takes KEY=VALUE, got 'latent_",
    ),
    (
        ["train", "ae_mnist", "--image-size", "0", "0"],
        "expected a positive integer, got 0",
    ),
    (["train", "ae_mnist", "--dataset", "EMPTY"], "No image files"),
    (["sample", "ae_mnist", "-n", "-1"], "-n/--n: expected a positive integer, got -1"),
    (["sample", "ae_mnist", "-n", "0"], "-n/--n: expected a positive integer, got 0"),
    (["sample", "ae_mnist", "-n", "x"], "expected a positive integer, got 'x'"),
    (["sample", "ae_mnist", "--seed", "-1"], "seed in [0, 2**32), got -1"),
    (
        ["sample", "cgan_mnist", "--labels", "13"],
        "expected labels in [0, 10), got labels in [13",
    ),
    (
        ["sample", "cgan_mnist", "-n", "2", "--labels", "1", "2", "3"],
        "1 or n=2 classes, got 3",
    ),
    (
        ["sample", "ae_mnist", "--labels", "1"],
        "unconditional: expected labels=None, got",
    ),
    (
        ["evaluate", "ae_mnist", "--limit", "0"],
        "--limit: expected a positive integer, got 0",
    ),
    (
        ["evaluate", "ae_mnist", "--eval-samples", "0"],
        "--eval-samples: expected a positive",
    ),
    (["evaluate", "ae_mnist", "--anomaly-digit", "12"], "integer in 0..9, got 12"),
    (["evaluate", "ae_mnist", "--dataset", "EMPTY"], "No image files"),
    (
        ["reconstruct", "ae_mnist", "-n", "0"],
        "-n/--n: expected a positive integer, got 0",
    ),
    (
        ["interpolate", "ae_mnist", "--steps", "0"],
        "--steps: expected a positive integer",
    ),
    (
        ["interpolate", "ae_mnist", "--pairs", "0"],
        "--pairs: expected a positive integer",
    ),
    (["quickstart", "--epochs", "0"], "--epochs: expected a positive integer, got 0"),
    (["info", "no_such_preset"], "unknown preset"),
]


@pytest.mark.parametrize("argv, says", CLI_CASES, ids=lambda v: " ".join(v)[:40])
def test_the_cli_refuses_clearly_with_exit_status_2(argv, says, capsys, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    argv = [str(empty) if a == "EMPTY" else a for a in argv]
    out = tmp_path / "out"
    if argv[0] in ("train", "sample", "reconstruct", "interpolate", "quickstart"):
        argv += ["--out", str(out)]
    try:
        status = cli.main(argv)
    except SystemExit as exit_:
        status = exit_.code
    assert status == 2
    err = capsys.readouterr().err
    assert says in err, err
    assert says_what_was_expected_and_what_came(err), err
    assert not out.exists(), "a refused command wrote its output"


def test_a_later_batch_of_rank_0_is_refused_naming_its_shape():
    # From a generator whose signature leaves the rank open: a scalar "batch".
    model = harness.small_model(ARCHITECTURES["autoencoder"])
    harness.compile_model(model)
    good = harness.fake_batch(model, 8)

    def batches():
        yield good
        yield np.float32(0.5)

    data = tf.data.Dataset.from_generator(
        batches, output_signature=tf.TensorSpec(None, tf.float32)
    )
    for run in (lambda: model.fit(data, verbose=0), lambda: model.evaluate(data)):
        with pytest.raises(ValueError, match=r"expected inputs of shape .*got shape"):
            run()


def test_readme_states_the_number_of_cli_cases():
    stated = re.search(r"and the CLI \((\d+) command lines", README.read_text())
    assert stated and int(stated[1]) == len(CLI_CASES), (
        f"README.md should say the CLI meets {len(CLI_CASES)} command lines"
    )
