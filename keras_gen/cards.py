"""Model cards, the README's zoo table, and the figures a card shows.

Which figures a model gets follows from what it declares: its capabilities
(`keras_gen.evaluation.capabilities`: a model measured on `"reconstruction"` or
`"likelihood"` encodes and reconstructs), whether it samples (it overrides
`GenerativeModel.sample`) and whether it takes labels (`takes_labels`).
"""

import json
from pathlib import Path

import numpy as np

from . import evaluation, presets, zoo
from .models.base import GenerativeModel
from .plot import save_figure, save_scatter

EPOCH_BUDGET_FILE = "epoch_budget.md"
ENCODERS = ("reconstruction", "likelihood")


def samples(model_class):
    """Whether instances of `model_class` draw examples with `sample`."""
    return (
        issubclass(model_class, GenerativeModel)
        and model_class.sample is not GenerativeModel.sample
    )


def _encodes(model_class, recipe=None):
    caps = evaluation.capabilities(model_class, recipe)
    return next((c for c in caps if c in ENCODERS), None)


def panels(model, x, y=None, recipe=None):
    """`{title: images}`: test images, reconstructions (for a model that encodes)
    and samples (for a model that samples), as `samples.png` shows them."""
    out = {"test images": x}
    if _encodes(type(model), recipe):
        # A conditional VAE reconstructs x given its label.
        args = (x, y) if model.takes_labels else (x,)
        out["reconstructions"] = np.asarray(model.reconstruct(*args))
    if samples(type(model)):
        title, images = sample_panel(model, len(x), "samples")
        out[title] = images
    return out


def sample_panel(model, n, title):
    """`(title, n samples)`; a model that takes labels draws the classes in turn."""
    if not model.conditional_sampling:
        return title, np.asarray(model.sample(n))
    labels = np.arange(n) % model.num_classes
    title = f"{title}, labels 0-{model.num_classes - 1} in turn"
    return title, np.asarray(model.sample(n, labels))


def latent_figure(model, path, x, y, recipe=None):
    """The images `x` (labels `y`) in the 2-D code space beside their projection
    on 2 principal components."""
    kind = _encodes(type(model), recipe)
    codes = [model.encode(x[i : i + 1000]) for i in range(0, len(x), 1000)]
    # A VAE encodes to a distribution: plot its mean.
    codes = np.concatenate(
        [np.asarray(c.mean() if kind == "likelihood" else c) for c in codes]
    )
    flat = x.reshape(len(x), -1)
    from sklearn.decomposition import PCA  # imported when a card is drawn

    pca = PCA(2, random_state=0).fit_transform(flat)
    return save_scatter(
        path,
        {
            f"{type(model).__name__} codes (test set)": (codes, y),
            "PCA to 2-D (test set)": (pca, y),
        },
    )


def prior_figure(model, path, x, y):
    """10,000 prior samples beside the codes of the test images `x` (coloured by
    label `y`), on the same axes limits: how well q(z) matches p(z)."""
    codes = np.concatenate(
        [np.asarray(model.encode(x[i : i + 1000])) for i in range(0, len(x), 1000)]
    )
    prior = np.asarray(model.prior_samples(10000, seed=0))
    return save_scatter(
        path,
        {
            "prior samples p(z)": (prior, None),
            f"{type(model).__name__} codes of the test set": (codes, y),
        },
        share_axes=True,
    )


def write_figures(model, folder, x, y, test_arrays, recipe=None):
    """Writes `samples.png` and, where they apply, `latent.png` (2-D codes of the
    test set, from `test_arrays()`), `manifold.png` (2-D VAE) and `classes.png`."""
    folder = Path(folder)
    save_figure(folder / "samples.png", panels(model, x, y, recipe), ncols=4)
    kind = _encodes(type(model), recipe)
    code_size = model.latent_dim if kind else None
    if code_size == 2:
        latent_figure(model, folder / "latent.png", *test_arrays(), recipe)
    if kind == "likelihood" and model.latent_dim == 2:
        grid = np.asarray(model.manifold(20))
        save_figure(folder / "manifold.png", {"decoded prior quantiles": grid}, 20)
    if "prior_overlay" in model.card_figures and model.latent_dim == 2:
        prior_figure(model, folder / "prior.png", *test_arrays())
    if "style_grid" in model.card_figures:
        grid = model.style_grid(10)
        save_figure(
            folder / "styles.png",
            {"one style per row, digits 0-9 across": grid.reshape(-1, *grid.shape[2:])},
            model.num_classes,
        )
    if samples(type(model)) and model.conditional_sampling:
        grid = model.class_grid(10)
        save_figure(
            folder / "classes.png",
            {"samples, one row per class": grid.reshape(-1, *grid.shape[2:])},
            10,
        )


def _figure_lines(preset, path):
    cls = preset.model_class
    if not samples(cls):
        lines = ["![test images](samples.png)", ""]
    else:
        shown = (
            "test images, reconstructions and samples"
            if _encodes(cls, preset.recipe)
            else "test images and samples"
        )
        lines = [
            f"![{shown}](samples.png)",
            "",
            "Samples: " + (cls.sample.__doc__ or "").strip().splitlines()[0],
            "",
        ]
    if (path / "latent.png").is_file():
        lines += [
            "![MNIST test set in the 2-D code space and in PCA to 2-D](latent.png)",
            "",
            "The 10,000 test digits in the learned 2-D code (a VAE's posterior means, "
            "an autoencoder's codes), "
            "coloured by label, beside "
            "their projection on the first two principal components.",
            "",
        ]
    if (path / "prior.png").is_file():
        lines += [
            "![prior samples beside the test set's codes](prior.png)",
            "",
            "Left: 10,000 samples of the prior (`model.prior_samples(10000, "
            "seed=0)`); right: the codes of the 10,000 test digits, coloured by "
            "label. The adversarial phases push the second towards the first.",
            "",
        ]
    if (path / "styles.png").is_file():
        lines += [
            "![one style per row, digits 0-9 across](styles.png)",
            "",
            "Each row decodes one prior sample z (the style) with the labels 0 to 9 "
            "(`model.style_grid(10)`).",
            "",
        ]
    if (path / "manifold.png").is_file():
        lines += [
            "![decoded 20 x 20 grid of prior quantiles](manifold.png)",
            "",
            "The means of p(x|z) over a 20 x 20 grid of the standard normal prior's "
            "quantiles (`model.manifold(20)`).",
            "",
        ]
    if (path / "classes.png").is_file():
        lines += [
            "![samples, one row per class](classes.png)",
            "",
            "Ten samples of each class, digits 0 to 9 top to bottom "
            "(`model.class_grid(10)`).",
            "",
        ]
    return lines


def write_card(name, path):
    """Writes `README.md`, the model card, from the preset and its metadata."""
    preset = zoo.get_preset(name)
    path = Path(path)
    meta = presets.read_metadata_file(path)
    values = meta["metrics"]["values"]
    docs = evaluation.metric_docs(preset.model_class, preset.recipe)
    rows = "\n".join(
        f"| {k} | {v:.4f} | {docs.get(k, '')} |" for k, v in sorted(values.items())
    )
    lines = [
        f"# {name}",
        "",
        preset.description,
        "",
        "```python",
        "import keras_gen",
        "",
        f'model = keras_gen.zoo.create_model("{name}", pretrained=True)',
        "```",
        "",
        *_figure_lines(preset, path),
    ]
    if (path / "reference_stats.npz").is_file():
        lines += [
            "`reference_stats.npz` holds the mean and covariance of this model's "
            "penultimate features over the 10,000 MNIST test images, the reference "
            "of `keras_gen.features.frechet_distance`; it was written by "
            "`keras_gen.features.write_reference_statistics(model, folder)` and "
            "records the sha256 of the weights it belongs to.",
            "",
        ]
    measured = meta["metrics"]
    notes = preset.recipe.get("metric_notes")
    lines += [
        f"## Metrics on the MNIST {measured['split']}",
        "",
        f"Measured by `{measured['command']}`" + (f" ({notes})" if notes else "") + ".",
        "",
        *(
            [
                f"The evaluation took {measured['wall_time_s']} s on 2 CPU "
                + (
                    "cores shared with other jobs (about "
                    f"{measured['other_load']} cores busy with them, from the load "
                    "average)"
                    if measured.get("other_load", 0) >= 0.5
                    else "cores"
                )
                + "; the peak resident memory of its process was "
                f"{measured['peak_rss_mb']} MB.",
                "",
            ]
            if "peak_rss_mb" in measured
            else []
        ),
        "| metric | value | meaning |",
        "|---|---|---|",
        rows,
        "",
        "## Training",
        "",
        f"- Command: `{meta['train_command']}`",
        f"- Recipe: `{json.dumps(meta['recipe'])}`",
        f"- Dtype policy: `{meta.get('dtype_policy', 'not recorded')}`",
        f"- Data: MNIST {meta['train_split']}",
        f"- Wall time: {meta['train_wall_time_s']} s on 2 CPU cores "
        f"({meta['train_images_per_s']} images/s)"
        + (f"; {meta['train_note']}" if meta.get("train_note") else ""),
        f"- Parameters: {meta['params']:,}; "
        f"weights file {meta['weights_bytes']:,} bytes"
        + (
            f" ({meta['weights_dtype']}: the metrics above were measured on the "
            "rounded weights),"
            if meta.get("weights_dtype", "float32") != "float32"
            else ","
        )
        + f" sha256 `{meta['sha256']}`",
        f"- Class: `keras_gen.{meta['class']}`, Keras {meta['keras_version']}",
        "",
        "Per-epoch training metrics are in `metadata.json` (`history`).",
        "",
    ]
    if (path / EPOCH_BUDGET_FILE).is_file():
        # Measured on the run's checkpoints by a benchmark script that names itself.
        lines += ["## Epoch budget", "", (path / EPOCH_BUDGET_FILE).read_text()]
    (path / "README.md").write_text("\n".join(lines))


def record_metrics(name, split, values):
    """Stores metrics measured on `split` in a shipped preset's metadata and card.

    Args:
        name: Preset name (with weights in the zoo).
        split: The split measured, e.g. `"test"`.
        values: `keras_gen.evaluation.evaluate_preset`'s dict, with `examples`.
    """
    path = zoo.preset_dir(name)
    meta = zoo.read_metadata(name)
    values = dict(values)
    examples = values.pop("examples")
    meta["metrics"] = {
        "split": f"{split} ({examples} images)",
        "command": evaluation.TEST_COMMAND.format(name=name),
        "values": values,
    }
    (path / presets.METADATA_FILE).write_text(
        json.dumps(meta, indent=2, sort_keys=True) + "\n"
    )
    write_card(name, path)


def zoo_table():
    """The README's zoo table, from every pretrained preset's metadata."""
    lines = [
        "| preset | class | MNIST test metrics (`keras-gen evaluate NAME`) | "
        "training (2 CPU cores) | weights |",
        "|---|---|---|---|---|",
    ]
    for name in zoo.list_models(pretrained=True):
        meta = zoo.read_metadata(name)
        values = meta["metrics"]["values"]
        shown = ", ".join(
            f"{k} {v:.4g}" for k, v in sorted(values.items()) if k != "loss"
        )
        lines.append(
            f"| [`{name}`](zoo/{name}/README.md) | `{meta['class']}` | {shown} | "
            f"{meta['epochs_done']} epochs, {meta['train_wall_time_s'] / 60:.1f} min | "
            f"{meta['weights_bytes'] / 1e6:.1f} MB |"
        )
    return "\n".join(lines)


# Pictures a run's card shows, in order, with what each is.
RUN_PICTURES = {
    "samples.png": "held-out images, their reconstructions and samples, as the "
    "model makes them",
    "classes.png": "samples, one row per class",
    "styles.png": "one style per row, every class across",
    "latent.png": "the held-out images in the 2-D code space beside their "
    "projection on 2 principal components",
    "manifold.png": "the decoded 20 x 20 grid of prior quantiles",
    "prior.png": "prior samples beside the codes of the held-out images",
    "curves.png": "training metrics per epoch (`keras_gen.plot.save_history`)",
}


def write_run_card(path):
    """Writes `README.md` for a folder that `keras_gen.runs.train` wrote (any
    dataset), from its metadata and the pictures in it."""
    path = Path(path)
    meta = presets.read_metadata_file(path)
    measured = meta["metrics"]
    rows = "\n".join(
        f"| {k} | {v:.4f} |" for k, v in sorted(measured["values"].items())
    )
    shape = "x".join(map(str, meta["data_info"]["shape"]))
    classes = meta["data_info"]["num_classes"]
    pictures = []
    for file, caption in RUN_PICTURES.items():
        if (path / file).is_file():
            pictures += [f"![{caption}]({file})", "", f"`{file}`: {caption}.", ""]
    lines = [
        f"# {path.name}: {meta['class']} on {meta['dataset']}",
        "",
        f"A `keras_gen.{meta['class']}` (architecture `{meta['architecture']}`"
        + (
            f", the networks of preset `{meta['preset_networks']}`"
            if meta.get("preset_networks")
            else ", its default networks"
        )
        + f") trained on {shape} images"
        + (f" of {classes} classes." if classes else " (no classes)."),
        "",
        "```python",
        "import keras_gen",
        "",
        f'model = keras_gen.zoo.create_model("{path}")',
        "```",
        "",
        *pictures,
        f"## Metrics on the {measured['split']}",
        "",
        f"Measured at the end of `{meta['train_command']}` (again with "
        f"`{measured['command']}`).",
        "",
        "| metric | value |",
        "|---|---|",
        rows,
        "",
        "## Training",
        "",
        f"- Command: `{meta['train_command']}`",
        f"- Recipe: `{json.dumps(meta['recipe'])}`",
        f"- Dtype policy: `{meta.get('dtype_policy', 'not recorded')}`",
        f"- Data: `{meta['dataset']}` {meta['train_split']}, options "
        f"`{json.dumps(meta['data_options'])}`",
        f"- Wall time: {meta['train_wall_time_s']} s "
        f"({meta['train_images_per_s']} images/s)",
        f"- Parameters: {meta['params']:,}; weights file {meta['weights_bytes']:,} "
        f"bytes, sha256 `{meta['sha256']}`",
        f"- Keras {meta['keras_version']}. TensorBoard logs: `logs/`; a grid per "
        "epoch: `grids/`; per-epoch metrics: `metadata.json` (`history`).",
        "",
    ]
    (path / "README.md").write_text("\n".join(lines))
