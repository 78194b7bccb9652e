"""Rifai et al. 2011, Table 1 on MNIST: AE, AE+wd, DAE-g, DAE-b, CAE.

Usage: python benchmarks/cae_table.py [--pretrain-epochs N [N ...]]
                                      [--finetune-epochs N] [--train-size N]
                                      [--val-size N] [--contraction L]
                                      [--finetune-lr LR] [--finetune-optimizer NAME]
                                      [--pretrain-optimizer NAME] [--pretrain-lr LR]
                                      [--dropout P] [--input-dropout P]
                                      [--probe-epochs N] [--tied] [--cache DIR]
                                      [--seeds N] [--jobs N] [--threads N]
                                      [--only NAME ...] [--out PATH]

Each model has one hidden layer of 1000 sigmoid units and a Bernoulli
(cross-entropy) reconstruction, is pretrained unsupervised on the first 50,000 MNIST
train images (the paper's training set), and its encoder initialises an MLP
(encoder + softmax) fine-tuned on their labels. The fine-tuning epoch is chosen by
the error on the other 10,000 train images (the paper's validation set) and the
table reports the test error of that epoch's weights. Also reported, as in the
paper, before fine-tuning: mean Frobenius norm of the encoder Jacobian on the test
set and SAT (mean fraction of hidden units with h < 0.05 or h > 0.95). Differences
from the paper: untied weights unless --tied; Adam instead of SGD unless
--pretrain-optimizer sgd (plain SGD) and --finetune-optimizer sgd (momentum 0.9);
one setting for every model below, not a per-model hyperparameter search, except
that --pretrain-epochs may list several lengths: each model is then pretrained for
each, and the table shows, per model, the length with the lowest mean validation
error over the seeds (ties go to the shorter), followed by a second table with
every length's row. --dropout P
drops hidden units and --input-dropout P pixels while fine-tuning (the same for
every row); --probe-epochs N trains the softmax layer alone on the frozen
features before fine-tuning everything; --cache DIR keeps the pretrained
encoders (and each finished row, so an interrupted run resumes). The log
counts dead hidden units (std < 0.01 over the test images).

--seeds N repeats every row with seeds 0..N-1 (initial weights, corruption noise,
shuffling and dropout all change with the seed; the data split does not) and
reports the mean test error with its standard error over the seeds beside each
seed's error. --jobs N runs the (row, seed) runs in N worker processes, each with
--threads TensorFlow threads (default 1 when --jobs > 1): on 2 cores two
single-thread workers get through about twice as many epochs as one process using
both cores for one network this small.
"""

import argparse
import contextlib
import json
import multiprocessing
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_gen import Autoencoder, ContractiveAutoencoder, DenoisingAutoencoder, data
from keras_gen.models.regularized_ae import jacobian_sq_norm

ONE_LAYER = dict(hidden_units=(), latent_dim=1000, code_activation="sigmoid", seed=0)
# Test error % in Rifai et al. 2011, Table 1.
PAPER_ERROR = {
    "AE": 1.78,
    "AE + weight decay": 1.68,
    "DAE-g": 1.18,
    "DAE-b": 1.57,
    "CAE": 1.14,
    "MLP, random init": "-",
}
# name: (class, extra arguments, decoupled weight decay of AdamW or None).
VARIANTS = {
    "MLP, random init (no pretraining)": (Autoencoder, {}, None),
    "AE": (Autoencoder, {}, None),
    "AE + weight decay (AdamW 0.05)": (Autoencoder, {}, 0.05),
    "DAE-g (Gaussian, sigma 0.3)": (
        DenoisingAutoencoder,
        dict(corruption="gaussian", noise_level=0.3),
        None,
    ),
    "DAE-b (masking 25 %)": (
        DenoisingAutoencoder,
        dict(corruption="masking", noise_level=0.25),
        None,
    ),
    "CAE": (ContractiveAutoencoder, {}, None),
}


class TiedDecoder(keras.layers.Layer):
    """Decodes with the transpose of an encoder Dense layer's kernel, plus a bias.

    The encoder layer is kept outside Keras' tracking so its kernel stays one
    variable of the autoencoder (trained through the encoder), not a second copy.
    """

    def __init__(self, dense, **kwargs):
        super().__init__(**kwargs)
        self.__dict__["_dense"] = dense
        self.bias = self.add_weight(
            shape=(dense.kernel.shape[0],), initializer="zeros", name="bias"
        )

    def call(self, h):
        return ops.matmul(h, ops.transpose(self._dense.kernel)) + self.bias


def tied_networks(seed):
    """The paper's network: h = sigmoid(W x + b), logits = W^T h + c."""
    encoder = Autoencoder(**(ONE_LAYER | dict(seed=seed))).encoder
    dense = next(x for x in encoder.layers if isinstance(x, keras.layers.Dense))
    codes = keras.Input((ONE_LAYER["latent_dim"],))
    flat = TiedDecoder(dense)(codes)
    decoder = keras.Model(codes, keras.layers.Reshape((28, 28, 1))(flat))
    return dict(encoder=encoder, decoder=decoder)


def load_splits(args):
    """(x, y), validation (xv, yv) and test (xt, yt) as floats in [0, 1]."""
    x, y = data.load_numpy("mnist", f"train[:{args.train_size}]")
    xv, yv = data.load_numpy("mnist", f"train[{60000 - args.val_size}:]")
    xt, yt = data.load_numpy("mnist", "test")
    x, xv, xt = (a.astype("float32") / 255.0 for a in (x, xv, xt))
    return x, y, xv, yv, xt, yt


def encoder_key(name, seed, args):
    """Names everything the pretrained encoder depends on."""
    if name.startswith("MLP"):
        # Random weights: no pretraining setting applies.
        key = f"MLPrandominit_n{args.train_size}" + (f"_seed{seed}" if seed else "")
        return key + ("_tied" if args.tied else "")
    key = (
        f"{name.split(' (')[0]}_lambda{args.contraction:g}_"
        f"epochs{args.pretrain_epochs}_n{args.train_size}"
        f"{'_tied' if args.tied else ''}"
        f"_{args.pretrain_optimizer}{args.pretrain_lr:g}"
        + (f"_seed{seed}" if seed else "")
    )
    return key.replace(" ", "").replace("+", "").replace(",", "")


def result_key(name, seed, args):
    """Names everything a finished row depends on."""
    return (
        encoder_key(name, seed, args)
        + f"_val{args.val_size}_ft{args.finetune_epochs}{args.finetune_optimizer}"
        f"{args.finetune_lr:g}_do{args.dropout:g}_ido{args.input_dropout:g}"
        f"_probe{args.probe_epochs}"
    )


def run_cached(name, seed, args, splits):
    """`run`, or its result saved by an earlier run with the same settings."""
    saved = (
        Path(args.cache) / f"{result_key(name, seed, args)}.json"
        if args.cache
        else None
    )
    if saved and saved.exists():
        print(f"{name}, seed {seed}: result loaded from {saved}", flush=True)
        return json.loads(saved.read_text())
    result = run(name, seed, args, *splits)
    if saved:
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(result))
    return result


_SPLITS = None


def _worker_init(args):
    """Pins a worker process's TensorFlow threads and loads the data once."""
    global _SPLITS
    set_threads(args.threads)
    _SPLITS = load_splits(args)


def _worker_run(task):
    name, seed, args = task
    return run_cached(name, seed, args, _SPLITS)


def set_threads(threads):
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def run(name, seed, args, x, y, xv, yv, xt, yt):
    cls, extra, weight_decay = VARIANTS[name]
    if cls is ContractiveAutoencoder:
        extra = dict(contraction=args.contraction)
    keras.utils.set_random_seed(seed)
    if args.tied:
        extra = extra | tied_networks(seed)
    model = cls(**(ONE_LAYER | dict(seed=seed)), **extra)
    if args.pretrain_optimizer == "sgd":
        # Plain SGD, as in the paper (weight decay as an L2 step, decoupled).
        optimizer = keras.optimizers.SGD(
            args.pretrain_lr, weight_decay=weight_decay or None
        )
    elif weight_decay:
        optimizer = keras.optimizers.AdamW(args.pretrain_lr, weight_decay=weight_decay)
    else:
        optimizer = keras.optimizers.Adam(args.pretrain_lr)
    model.compile(optimizer, steps_per_execution=50)
    start = time.perf_counter()
    cached = None
    if args.cache:
        cached = Path(args.cache) / (encoder_key(name, seed, args) + ".npz")
    if cached and cached.exists():
        with np.load(cached) as saved:
            model.encoder.set_weights([saved[f"w{i}"] for i in range(len(saved))])
        print(f"pretrained encoder loaded from {cached}", flush=True)
    elif not name.startswith("MLP"):
        model.fit(x, epochs=args.pretrain_epochs, batch_size=128, verbose=0)
        if cached:
            cached.parent.mkdir(parents=True, exist_ok=True)
            weights = model.encoder.get_weights()
            np.savez(cached, **{f"w{i}": w for i, w in enumerate(weights)})
    pretrain_seconds = time.perf_counter() - start
    codes = np.concatenate(
        [model.encode(xt[i : i + 500]) for i in range(0, len(xt), 500)]
    )
    jac = np.concatenate(
        [
            np.sqrt(jacobian_sq_norm(model.encoder, xt[i : i + 500]))
            for i in range(0, len(xt), 500)
        ]
    )
    sat = np.mean((codes < 0.05) | (codes > 0.95))
    dead = int(np.sum(codes.std(0) < 0.01))
    print(
        f"{name}, seed {seed}: {dead} of {codes.shape[1]} hidden units have "
        "std < 0.01 on the test images",
        flush=True,
    )
    clf = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Dropout(args.input_dropout, seed=1 + 2 * seed),
            keras.models.clone_model(model.encoder),
            keras.layers.Dropout(args.dropout, seed=2 * seed),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    clf.layers[1].set_weights(model.encoder.get_weights())
    probe_error = None
    if args.probe_epochs:
        # A linear probe first: the softmax layer alone on the frozen features, so
        # fine-tuning starts from a trained head, not a random one.
        clf.layers[1].trainable = False
        clf.compile(
            keras.optimizers.Adam(1e-3),
            "sparse_categorical_crossentropy",
            steps_per_execution=50,
        )
        clf.fit(x, y, epochs=args.probe_epochs, batch_size=64, verbose=0)
        probe = np.argmax(clf.predict(xv, batch_size=1000, verbose=0), -1)
        probe_error = 100 * np.mean(probe != yv)
        print(f"linear probe validation error {probe_error:.2f} %", flush=True)
        clf.layers[1].trainable = True
    # Adam (or SGD with momentum 0.9), the step decaying to 0 on a cosine.
    steps = args.finetune_epochs * -(-len(x) // 64)
    schedule = keras.optimizers.schedules.CosineDecay(args.finetune_lr, steps)
    clf.compile(
        keras.optimizers.Adam(schedule)
        if args.finetune_optimizer == "adam"
        else keras.optimizers.SGD(schedule, momentum=0.9),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=50,
    )
    # Keep the weights of the epoch with the best validation accuracy.
    best = keras.callbacks.EarlyStopping(
        "val_accuracy",
        patience=args.finetune_epochs,
        restore_best_weights=True,
        start_from_epoch=0,
    )
    history = clf.fit(
        x,
        y,
        validation_data=(xv, yv),
        epochs=args.finetune_epochs,
        batch_size=64,
        verbose=0,
        callbacks=[best],
    )
    val_acc = history.history["val_accuracy"]
    error = np.mean(np.argmax(clf.predict(xt, batch_size=1000, verbose=0), -1) != yt)
    return dict(
        error=100 * float(error),
        val_error=100 * (1 - float(max(val_acc))),
        epoch=int(np.argmax(val_acc)) + 1,
        jacobian=float(jac.mean()),
        sat=100 * float(sat),
        pretrain_seconds=pretrain_seconds,
        seconds=time.perf_counter() - start,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pretrain-epochs",
        type=int,
        nargs="+",
        default=[20],
        help="one length, or several to choose from per model on validation",
    )
    parser.add_argument("--finetune-epochs", type=int, default=30)
    parser.add_argument("--train-size", type=int, default=50000)
    parser.add_argument("--val-size", type=int, default=10000)
    parser.add_argument("--contraction", type=float, default=100.0, help="CAE lambda")
    parser.add_argument("--pretrain-optimizer", choices=("adam", "sgd"), default="adam")
    parser.add_argument("--pretrain-lr", type=float, default=1e-3)
    parser.add_argument("--finetune-lr", type=float, default=1e-3)
    parser.add_argument("--finetune-optimizer", choices=("adam", "sgd"), default="adam")
    parser.add_argument(
        "--dropout", type=float, default=0.0, help="on hidden units, fine-tuning"
    )
    parser.add_argument(
        "--input-dropout", type=float, default=0.0, help="on pixels, fine-tuning"
    )
    parser.add_argument(
        "--probe-epochs",
        type=int,
        default=0,
        help="train the softmax layer alone on frozen features first",
    )
    parser.add_argument("--cache", help="folder keeping pretrained encoders")
    parser.add_argument(
        "--tied", action="store_true", help="decoder weights = encoder's transposed"
    )
    parser.add_argument(
        "--only",
        action="append",
        help="run only this variant (repeatable), named as before its brackets",
    )
    parser.add_argument(
        "--out", default=str(Path(__file__).parent / "results" / "cae_table.md")
    )
    parser.add_argument(
        "--seeds", type=int, default=1, help="repeat every row with seeds 0..N-1"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="worker processes for the runs"
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="TensorFlow threads per process (default: 1 with --jobs > 1)",
    )
    args = parser.parse_args()
    if args.train_size + args.val_size > 60000:
        parser.error("--train-size plus --val-size must be at most 60000")
    if min(args.pretrain_epochs) < 1 or len(set(args.pretrain_epochs)) < len(
        args.pretrain_epochs
    ):
        parser.error(
            f"--pretrain-epochs takes distinct lengths >= 1, got {args.pretrain_epochs}"
        )
    if args.seeds < 1 or args.jobs < 1:
        parser.error(f"--seeds and --jobs must be >= 1, got {args.seeds}, {args.jobs}")
    if args.threads is None and args.jobs > 1:
        args.threads = 1
    command = (
        "python benchmarks/cae_table.py --pretrain-epochs "
        + " ".join(map(str, args.pretrain_epochs))
        + f" --finetune-epochs {args.finetune_epochs} --train-size {args.train_size} "
        f"--val-size {args.val_size} --contraction {args.contraction:g} "
        f"--finetune-lr {args.finetune_lr:g}"
        + (
            f" --finetune-optimizer {args.finetune_optimizer}"
            if args.finetune_optimizer != "adam"
            else ""
        )
        + (
            f" --pretrain-optimizer sgd --pretrain-lr {args.pretrain_lr:g}"
            if args.pretrain_optimizer == "sgd"
            else ""
        )
        + (f" --dropout {args.dropout:g}" if args.dropout else "")
        + (f" --input-dropout {args.input_dropout:g}" if args.input_dropout else "")
        + (f" --probe-epochs {args.probe_epochs}" if args.probe_epochs else "")
        + (" --tied" if args.tied else "")
        + (f" --seeds {args.seeds}" if args.seeds > 1 else "")
        + (f" --jobs {args.jobs}" if args.jobs > 1 else "")
        + (f" --threads {args.threads}" if args.threads else "")
        + "".join(f" --only '{n}'" for n in args.only or [])
    )
    names = [n for n in VARIANTS if not args.only or n.split(" (")[0] in args.only]
    if not names:
        parser.error(f"--only takes {[n.split(' (')[0] for n in VARIANTS]}")
    # One run per (model, pretraining length, seed); the random-init control has
    # no pretraining, so it runs once per seed. Seed by seed, so an interrupted
    # run with --cache has whole seeds done first.
    lengths = {
        name: args.pretrain_epochs[:1]
        if name.startswith("MLP")
        else args.pretrain_epochs
        for name in names
    }
    tasks = [
        (name, seed, argparse.Namespace(**(vars(args) | dict(pretrain_epochs=n))))
        for seed in range(args.seeds)
        for name in names
        for n in lengths[name]
    ]
    results = {}
    with contextlib.ExitStack() as stack:
        if args.jobs == 1:
            set_threads(args.threads)
            splits = load_splits(args)
            finished = (run_cached(*task, splits) for task in tasks)
        else:
            context = multiprocessing.get_context("spawn")
            pool = stack.enter_context(
                context.Pool(args.jobs, _worker_init, (args,), maxtasksperchild=1)
            )
            finished = pool.imap(_worker_run, tasks)
        for (name, seed, run_args), result in zip(tasks, finished, strict=True):
            results[name, run_args.pretrain_epochs, seed] = result
            print((name, run_args.pretrain_epochs, seed), result, flush=True)
    by_length = {
        name: {
            n: [results[name, n, s] for s in range(args.seeds)] for n in lengths[name]
        }
        for name in names
    }
    several = len(args.pretrain_epochs) > 1
    rows, every_row = [], []
    for name in names:
        chosen = choose_length(by_length[name])
        rows.append(
            table_row(name, args, by_length[name][chosen], chosen if several else None)
        )
        every_row += [
            table_row(name, args, runs, n) for n, runs in by_length[name].items()
        ]
    if args.seeds == 1:
        header = (
            "| model | test error % | paper % | validation error % | "
            "mean norm of J_f(x) | SAT % | seconds |"
        )
        seconds = "Seconds: pretraining + fine-tuning on 2 CPU cores."
    else:
        header = (
            "| model | test error %, mean of seeds | paper % | test error % by seed "
            "(s.e. of the mean) | validation error %, mean (best fine-tuning "
            "epochs) | mean norm of J_f(x) | SAT % | seconds |"
        )
        seconds = (
            f"The Jacobian norm, SAT and seconds are means over the {args.seeds} "
            "seeds; seconds are pretraining + fine-tuning of one run, "
            f"{args.jobs} runs at a time on 2 CPU cores."
        )
    if several:
        header += " pretraining epochs |"
        seconds += (
            " Each model was pretrained for each of "
            + ", ".join(map(str, args.pretrain_epochs))
            + " epochs; the table shows the length with the lowest mean validation "
            "error (the random-init control has no pretraining)."
        )
    header += "\n" + "|---" * header.count(" | ") + "|---|"
    text = "\n".join(
        [
            "# Contractive autoencoder table (Rifai et al. 2011, Table 1)",
            "",
            f"Command: `{command}`. Pretraining and fine-tuning on the first "
            f"{args.train_size:,} MNIST train images, epoch chosen on the last "
            f"{args.val_size:,}, error on the 10,000 test images; the Jacobian "
            "norm and SAT are measured on the test images before fine-tuning. "
            + seconds,
            "",
            header,
            *rows,
            "",
        ]
        + (
            [
                "## Every pretraining length",
                "",
                header,
                *every_row,
                "",
            ]
            if several
            else []
        )
    )
    Path(args.out).write_text(text)
    print(text)


def choose_length(by_length):
    """The pretraining length whose runs have the lowest mean validation error.

    `by_length` maps each length to its runs (one per seed); ties go to the
    shorter length.
    """
    return min(
        by_length,
        key=lambda n: (np.mean([r["val_error"] for r in by_length[n]]), n),
    )


def table_row(name, args, runs, pretrain_epochs=None):
    """One Markdown row from the runs (one per seed) of a model.

    With `pretrain_epochs` the row ends with that length ("-" for the
    random-init control, which has no pretraining).
    """
    shown = f"CAE (lambda {args.contraction:g})" if name == "CAE" else name
    if args.pretrain_optimizer == "sgd":
        shown = shown.replace("AdamW 0.05", "SGD, decoupled 0.05")
    paper = PAPER_ERROR[name.split(" (")[0]]
    errors = np.array([r["error"] for r in runs])
    mean = {k: np.mean([r[k] for r in runs]) for k in runs[0]}
    epochs = ", ".join(str(r["epoch"]) for r in runs)
    pretrain = mean["pretrain_seconds"]
    seconds = f"{pretrain:.0f} + {mean['seconds'] - pretrain:.0f}"
    if len(runs) == 1:
        row = (
            f"| {shown} | {mean['error']:.2f} | {paper} | "
            f"{mean['val_error']:.2f} (epoch {epochs}) | {mean['jacobian']:.4f} | "
            f"{mean['sat']:.2f} | {seconds} |"
        )
    else:
        by_seed = ", ".join(f"{e:.2f}" for e in errors)
        se = errors.std(ddof=1) / np.sqrt(len(errors))
        row = (
            f"| {shown} | {mean['error']:.2f} | {paper} | {by_seed} ({se:.2f}) | "
            f"{mean['val_error']:.2f} ({epochs}) | {mean['jacobian']:.4f} | "
            f"{mean['sat']:.2f} | {seconds} |"
        )
    if pretrain_epochs is not None:
        row += f" {'-' if name.startswith('MLP') else pretrain_epochs} |"
    return row


if __name__ == "__main__":
    main()
