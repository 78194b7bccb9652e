"""Training callbacks: the preset folder written after every epoch, weight
snapshots, a grid of samples (or reconstructions) every few epochs, and the stop
at the first non-finite loss (`StopOnNonFinite`, which every keras_gen `fit`
puts first), and the training state every few steps (`TrainingCheckpoint`, from
which a killed `fit` resumes inside its epoch), and the reference statistics of
virtual batch normalization kept current (`ReferenceBatch`)."""

import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from . import plot
from .gan_layers import set_reference_batch
from .models.guard import NonFiniteLossError as NonFiniteLossError
from .models.guard import StopOnNonFinite as StopOnNonFinite
from .models.resume import TrainingCheckpoint as TrainingCheckpoint
from .plot import verbs


class PresetCheckpoint(keras.callbacks.Callback):
    """Writes the model's preset folder (weights and training metadata) every epoch.

    Epochs are counted across several `fit` calls (pretraining, then rounds of a
    schedule), so `history` numbers them 1, 2, ... in order. The metadata so far
    goes with the weights, so `keras_gen.training.finish_preset` can measure a
    checkpoint.

    Args:
        folder: The preset folder (created if missing).
        metadata: `metadata(history, wall_seconds)`, the training metadata to write
            beside the weights.
        history: The history of the epochs before this run (a resumed run).
        elapsed: Their training seconds.

    Example:
        >>> checkpoint = PresetCheckpoint("runs/ae_mnist", lambda h, s: {})
        >>> model.fit(train, epochs=3, callbacks=[checkpoint])
    """

    def __init__(self, folder, metadata, history=None, elapsed=0.0):
        super().__init__()
        self.folder = Path(folder)
        self.metadata = metadata
        # A resumed run continues the history and wall time of the stopped one.
        self.history = {int(k): v for k, v in (history or {}).items()}
        self.start = time.perf_counter() - float(elapsed)

    def elapsed(self):
        """Seconds of training (since the callback was made, plus a resumed run's
        earlier seconds)."""
        return time.perf_counter() - self.start

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        self.history[len(self.history) + 1] = logs
        self.model.save_to_preset(
            self.folder, self.metadata(self.history, self.elapsed())
        )


class WeightSnapshots(keras.callbacks.Callback):
    """Copies the model's weights to `folder/epoch_N.weights.h5` at chosen epochs
    (counted from 1), so that an epoch budget can be measured on one run.

    Args:
        folder: Where the copies go (created when the first is written).
        epochs: The epochs after which to copy.
    """

    def __init__(self, folder, epochs):
        super().__init__()
        self.folder = Path(folder)
        self.epochs = set(int(e) for e in epochs)

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 in self.epochs:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.model.save_weights(self.folder / f"epoch_{epoch + 1}.weights.h5")


class ReferenceBatch(keras.callbacks.Callback):
    """Keeps the reference statistics of every `VirtualBatchNormalization` layer
    of a network current while it trains: records them on a fixed reference batch
    before training and again after every `every` batches (each Keras batch is
    `steps_per_execution` steps), so that the statistics match the weights the
    next step uses, as the paper's virtual batch normalization does.

    The paper also passes gradients through the reference statistics (its
    reference batch goes through the network in every step); here they are
    constants of each step (the layer normalizes against recorded values), which
    keeps the step's cost that of a plain forward pass.

    Args:
        reference: The network's input for the reference batch, e.g. a fixed
            batch of noise for a generator (array or tensor, at least 2 rows).
        network: The attribute of the trained model that holds the layers
            (`"generator"` for a GAN's generator), or `None` for the model itself.
        every: Refresh after this many batches (1: every batch).
    """

    def __init__(self, reference, network="generator", every=1):
        super().__init__()
        reference = tf.convert_to_tensor(reference)
        if reference.shape.rank is None or reference.shape.rank < 2:
            raise ValueError(
                "reference must be a batch (rank >= 2) of the network's input, "
                f"got shape {reference.shape}."
            )
        if reference.shape[0] < 2:
            raise ValueError(
                f"reference must hold at least 2 examples, got {reference.shape[0]}."
            )
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}.")
        self.reference = reference
        self.network = network
        self.every = every

    def _target(self):
        if self.network is None:
            return self.model
        target = getattr(self.model, self.network, None)
        if not isinstance(target, keras.Model):
            raise ValueError(
                f"{type(self.model).__name__} has no network {self.network!r} "
                "(expected a keras.Model attribute such as 'generator')."
            )
        return target

    def refresh(self):
        set_reference_batch(self._target(), self.reference)

    def on_train_begin(self, logs=None):
        self.refresh()

    def on_train_batch_end(self, batch, logs=None):
        if (batch + 1) % self.every == 0:
            self.refresh()


class SampleGrid(keras.callbacks.Callback):
    """Every `every` epochs, draws the model's samples from the same fixed noise
    and writes them as a PNG grid and, with `log_dir`, a TensorBoard image.

    The noise is fixed across epochs, so the grids show the same draws change as
    the model learns: a model that exposes its noise (`noise_batch` and
    `generate`: GANs, adversarial autoencoders) has `noise_batch(n, seed)` drawn
    once, at the start of training, and decoded every time; any other sampler (a
    VAE, an autoencoder's fitted code Gaussian, the semi-supervised models) draws
    with `sample(n, labels)` with its random streams set from `seed` each time and
    put back afterwards, which is the same noise every time and leaves training's
    random numbers as they were. With `images`, the grid shows those fixed images
    above their reconstructions instead (for autoencoders, whose samples before
    `fit_code_distribution` are not drawn from their codes' distribution).

    Epochs are numbered from 1 and keep counting across several `fit` calls with
    the same callback (a recipe in stages); a resumed `fit` (`initial_epoch`)
    continues its numbers.

    Args:
        folder_or_path: A folder (each grid is `epoch_0001.png`, ...), a path
            with `{epoch}` (formatted with the epoch, e.g. `"grid_{epoch:03d}.png"`),
            or a `.png` path (rewritten each time: the latest grid).
        every: Epochs between grids.
        n: Samples per grid.
        seed: Seed of the fixed noise.
        log_dir: A TensorBoard log folder for image summaries (tag `name`, step
            the epoch), or None.
        labels: The classes to draw for a conditional model (one or `n`; default
            its classes in turn), or with `images` the classes of those images.
        images: A fixed batch to reconstruct instead of sampling, or None.
        ncols: Images per row.
        name: The TensorBoard tag.
        figsize: Inches `(width, height)` of the PNG (default: fits the grid);
            the TensorBoard image is the grid itself, one pixel per pixel.
        dpi: Resolution of the PNG.

    Example:
        >>> grid = SampleGrid("runs/gan/samples", every=5, log_dir="runs/gan/logs")
        >>> model.fit(train, epochs=50, callbacks=[grid])
    """

    def __init__(
        self,
        folder_or_path,
        every=1,
        n=64,
        seed=0,
        log_dir=None,
        labels=None,
        images=None,
        ncols=8,
        name="samples",
        figsize=None,
        dpi=100,
    ):
        super().__init__()
        self.target = str(folder_or_path)
        self.every = verbs.check_count(every, "every")
        self.n = verbs.check_count(n, "n")
        self.seed = int(seed)
        self.log_dir = None if log_dir is None else Path(log_dir)
        self.labels = labels
        self.images = None if images is None else np.asarray(images, np.float32)
        self.ncols = verbs.check_count(ncols, "ncols")
        self.name = name
        self.figsize = figsize
        self.dpi = dpi
        self.noise = None
        self.epoch = 0
        self.written = []
        self._writer = None

    def path(self, epoch):
        """Where the grid of `epoch` (from 1) goes."""
        if "{epoch" in self.target:
            return Path(self.target.format(epoch=epoch))
        if self.target.lower().endswith(".png"):
            return Path(self.target)
        return Path(self.target) / f"epoch_{epoch:04d}.png"

    def on_train_begin(self, logs=None):
        if self.images is not None:
            verbs.require(self.model, ("reconstruct",), "SampleGrid(images=...)")
            self.images = verbs.check_images(
                self.model, self.images, "images", "SampleGrid"
            )
            return
        verbs.require(self.model, ("sample",), "SampleGrid")
        if self.noise is None:
            self.noise = verbs.fixed_noise(self.model, self.n, self.seed)

    def grids(self):
        """`(top, bottom)` images in [0, 1]: samples and None, or the fixed
        images and their reconstructions."""
        model = self.model
        if self.images is not None:
            recon = verbs.reconstruct(model, self.images, self.labels)
            return verbs.unit_range(model, self.images), verbs.unit_range(model, recon)
        samples = verbs.draw_samples(
            model, self.n, self.labels, self.seed, noise=self.noise
        )
        return verbs.unit_range(model, samples), None

    def on_epoch_end(self, epoch, logs=None):
        self.epoch = max(epoch + 1, self.epoch + 1)
        if self.epoch % self.every:
            return
        top, bottom = self.grids()
        title = f"{type(self.model).__name__}, epoch {self.epoch}"
        path = self.path(self.epoch)
        if bottom is None:
            plot.save_grid(
                path,
                top,
                self.ncols,
                f"{title}: samples, fixed noise",
                self.figsize,
                self.dpi,
            )
            grid = plot.image_grid(top, self.ncols)
        else:
            plot.save_pairs(
                path, top, bottom, self.ncols, title, self.figsize, self.dpi
            )
            upper, lower = (plot.image_grid(v, self.ncols) for v in (top, bottom))
            gap = np.ones((2, upper.shape[1], upper.shape[2]), np.float32)
            grid = np.concatenate([upper, gap, lower])
        self.written.append(path)
        if self.log_dir is not None:
            if self._writer is None:
                self._writer = tf.summary.create_file_writer(str(self.log_dir))
            with self._writer.as_default():
                tf.summary.image(self.name, grid[None], step=self.epoch)
            self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.flush()
