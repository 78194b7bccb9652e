"""Rifai et al. 2011, Table 1 on MNIST: AE, AE+wd, DAE-g, DAE-b, CAE.

Usage: python benchmarks/cae_table.py [--pretrain-epochs N] [--finetune-epochs N]
                                      [--train-size N] [--val-size N] [--contraction L]
                                      [--finetune-lr LR] [--finetune-optimizer NAME]
                                      [--pretrain-optimizer NAME] [--pretrain-lr LR]
                                      [--dropout P] [--input-dropout P]
                                      [--probe-epochs N] [--tied] [--cache DIR]
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
one setting per model below, not a per-model hyperparameter search. --dropout P
drops hidden units and --input-dropout P pixels while fine-tuning (the same for
every row); --probe-epochs N trains the softmax layer alone on the frozen
features before fine-tuning everything; --cache DIR keeps the pretrained
encoders, so fine-tuning settings can be compared on the same features. The log
counts dead hidden units (std < 0.01 over the test images).
"""

import argparse
import time
from pathlib import Path

import keras
import numpy as np
from keras import ops

from keras_gen import Autoencoder, ContractiveAutoencoder, DenoisingAutoencoder, data
from keras_gen.models.regularized_ae import jacobian_sq_norm

ONE_LAYER = dict(hidden_units=(), code_dim=1000, code_activation="sigmoid", seed=0)
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


def tied_networks():
    """The paper's network: h = sigmoid(W x + b), logits = W^T h + c."""
    encoder = Autoencoder(**ONE_LAYER).encoder
    dense = next(x for x in encoder.layers if isinstance(x, keras.layers.Dense))
    codes = keras.Input((ONE_LAYER["code_dim"],))
    flat = TiedDecoder(dense)(codes)
    decoder = keras.Model(codes, keras.layers.Reshape((28, 28, 1))(flat))
    return dict(encoder=encoder, decoder=decoder)


def run(name, args, x, y, xv, yv, xt, yt):
    cls, extra, weight_decay = VARIANTS[name]
    if cls is ContractiveAutoencoder:
        extra = dict(contraction=args.contraction)
    if args.tied:
        extra = extra | tied_networks()
    model = cls(**ONE_LAYER, **extra)
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
        key = (
            f"{name.split(' (')[0]}_lambda{args.contraction:g}_"
            f"epochs{args.pretrain_epochs}_n{len(x)}{'_tied' if args.tied else ''}"
            f"_{args.pretrain_optimizer}{args.pretrain_lr:g}"
        )
        cached = Path(args.cache) / (key.replace(" ", "").replace("+", "") + ".npz")
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
        f"{name}: {dead} of {codes.shape[1]} hidden units have std < 0.01 on the "
        "test images",
        flush=True,
    )
    clf = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Dropout(args.input_dropout, seed=1),
            keras.models.clone_model(model.encoder),
            keras.layers.Dropout(args.dropout, seed=0),
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
        error=100 * error,
        val_error=100 * (1 - max(val_acc)),
        epoch=int(np.argmax(val_acc)) + 1,
        jacobian=float(jac.mean()),
        sat=100 * float(sat),
        pretrain_seconds=pretrain_seconds,
        seconds=time.perf_counter() - start,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pretrain-epochs", type=int, default=20)
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
    args = parser.parse_args()
    if args.train_size + args.val_size > 60000:
        parser.error("--train-size plus --val-size must be at most 60000")
    x, y = data.load_numpy("mnist", f"train[:{args.train_size}]")
    xv, yv = data.load_numpy("mnist", f"train[{60000 - args.val_size}:]")
    xt, yt = data.load_numpy("mnist", "test")
    x, xv, xt = (a.astype("float32") / 255.0 for a in (x, xv, xt))
    command = (
        f"python benchmarks/cae_table.py --pretrain-epochs {args.pretrain_epochs} "
        f"--finetune-epochs {args.finetune_epochs} --train-size {args.train_size} "
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
        + "".join(f" --only '{n}'" for n in args.only or [])
    )
    rows = []
    names = [n for n in VARIANTS if not args.only or n.split(" (")[0] in args.only]
    if not names:
        parser.error(f"--only takes {[n.split(' (')[0] for n in VARIANTS]}")
    for name in names:
        r = run(name, args, x, y, xv, yv, xt, yt)
        shown = f"CAE (lambda {args.contraction:g})" if name == "CAE" else name
        if args.pretrain_optimizer == "sgd":
            shown = shown.replace("AdamW 0.05", "SGD, decoupled 0.05")
        rows.append(
            f"| {shown} | {r['error']:.2f} | {PAPER_ERROR[name.split(' (')[0]]} | "
            f"{r['val_error']:.2f} (epoch {r['epoch']}) | {r['jacobian']:.4f} | "
            f"{r['sat']:.2f} | {r['pretrain_seconds']:.0f} + "
            f"{r['seconds'] - r['pretrain_seconds']:.0f} |"
        )
        print(rows[-1], flush=True)
        text = "\n".join(
            [
                "# Contractive autoencoder table (Rifai et al. 2011, Table 1)",
                "",
                f"Command: `{command}`. Pretraining and fine-tuning on the first "
                f"{args.train_size:,} MNIST train images, epoch chosen on the last "
                f"{args.val_size:,}, error on the 10,000 test images; the Jacobian "
                "norm and SAT are measured on the test images before fine-tuning. "
                "Seconds: pretraining + fine-tuning on 2 CPU cores.",
                "",
                "| model | test error % | paper % | validation error % | "
                "mean norm of J_f(x) | SAT % | seconds |",
                "|---|---|---|---|---|---|---|",
                *rows,
                "",
            ]
        )
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
