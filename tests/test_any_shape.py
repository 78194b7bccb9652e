"""Models on any shape: every architecture's default networks fit the data's
(H, W, C) and number of classes, or say which sizes work and how to resize.

Folders of random PNGs of several shapes, written here, train models built from
`keras_gen.data.info`; numpy arrays of a non-MNIST shape train every registered
architecture for one step.
"""

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gen import data, zoo
from keras_gen.models import DCGAN, WGANGP, Autoencoder, Classifier, networks
from keras_gen.models.base import GenerativeModel

from . import harness

# Classes of each shape's class-folder dataset: any number >= 2 works.
CLASSES = {(8, 8, 1): 2, (32, 32, 3): 4, (64, 64, 3): 3}

# (shape, preset): what each shape trains, a preset's small networks fitted to it.
# The conv nets train on every shape; the rest spread over them (every
# architecture also trains on 16x16x3 arrays below). Few and tiny at 64x64.
FOLDER_CASES = [
    ((8, 8, 1), "conv_ae_mnist"),
    ((8, 8, 1), "dcgan_mnist"),
    ((8, 8, 1), "vae_mnist"),
    ((8, 8, 1), "cvae_mnist"),
    ((8, 8, 1), "cgan_mnist"),
    ((8, 8, 1), "mnist_classifier"),
    ((32, 32, 3), "conv_ae_mnist"),
    ((32, 32, 3), "wgan_gp_mnist"),
    ((32, 32, 3), "aae_mnist"),
    ((32, 32, 3), "supervised_aae_mnist"),
    ((32, 32, 3), "m2_mnist_100labels"),
    ((64, 64, 3), "dcgan_mnist"),
    ((64, 64, 3), "cvae_mnist"),
]


def write_images(root, shape, n=16, classes=None, seed=0):
    """`n` random PNGs of `shape` in `root`, or spread over `classes` sub-folders."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        folder = root if classes is None else root / f"class_{i % classes}"
        folder.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        image = Image.fromarray(pixels[..., 0] if shape[-1] == 1 else pixels)
        image.save(folder / f"{i}.png")
    return root


def takes_labels(preset):
    return zoo.get_preset(preset).model_class.takes_labels


def fit_one_step(model, dataset):
    """Fits one epoch of `dataset` (one or two steps) and checks that it trained."""
    harness.compile_model(model)
    before = harness.weights_of(model)
    history = model.fit(dataset, epochs=1, verbose=0)
    harness.assert_finite_history(history)
    after = model.get_weights()
    assert any(not np.array_equal(u, v) for u, v in zip(before, after, strict=True))


def assert_verbs_keep_shape(model, x, labels=None):
    """Samples and reconstructions have the examples' shape; logits the classes'."""
    shape = tuple(x.shape[1:])
    assert model.data_shape == shape
    labels = labels if model.takes_labels else None
    if isinstance(model, GenerativeModel):
        given = labels if model.conditional_sampling else None
        samples = model.sample(len(x), labels=given)
        assert tuple(samples.shape) == (len(x), *shape)
        assert np.all(np.isfinite(samples))
    if hasattr(model, "reconstruct"):
        inputs = model.call_inputs(x, labels)
        args = inputs if isinstance(inputs, tuple) else (inputs,)
        assert tuple(model.reconstruct(*args).shape) == tuple(x.shape)
    if isinstance(model, Classifier):
        assert tuple(model(x).shape) == (len(x), model.num_classes)


def _case_id(case):
    shape, preset = case
    return "x".join(map(str, shape)) + "-" + preset


@pytest.mark.parametrize(
    ("shape", "preset"), FOLDER_CASES, ids=map(_case_id, FOLDER_CASES)
)
def test_a_folder_of_images_trains_a_model_built_for_its_shape(shape, preset, tmp_path):
    keras.utils.set_random_seed(0)
    labelled = takes_labels(preset)
    classes = CLASSES[shape] if labelled else None
    folder = write_images(tmp_path / "images", shape, classes=classes)
    about = data.info(folder)
    assert about.shape == shape and about.num_classes == classes
    model = harness.small_model(
        preset, **harness.shape_arguments(preset, about.shape, about.num_classes or 2)
    )
    dataset = data.load(folder, "train", 8)
    fit_one_step(model, dataset)
    batch = next(iter(dataset))
    x, labels = (batch[0].numpy(), batch[1].numpy()) if labelled else (batch, None)
    assert_verbs_keep_shape(
        model, np.asarray(x)[:4], None if labels is None else labels[:4]
    )


ARCHITECTURES = harness.architectures()


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_every_architecture_trains_on_arrays_of_another_shape(architecture):
    keras.utils.set_random_seed(0)
    preset = ARCHITECTURES[architecture]
    shape, classes = (16, 16, 3), 3
    model = harness.small_model(
        preset, **harness.shape_arguments(preset, shape, classes)
    )
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (32, *shape), dtype=np.uint8)
    y = np.arange(32) % classes
    fit_one_step(model, data.from_arrays(x, y if model.takes_labels else None, 16))
    assert_verbs_keep_shape(model, x[:4].astype("float32") / 255, y[:4])


def test_the_registry_lists_every_architecture_once():
    assert set(ARCHITECTURES.values()) <= set(zoo.list_models())
    assert len(ARCHITECTURES) == len(zoo.list_architectures())


def test_the_resize_a_conv_model_asks_for_makes_it_fit(tmp_path):
    keras.utils.set_random_seed(0)
    folder = write_images(tmp_path / "odd", (30, 30, 3))
    shape = data.info(folder).shape
    small = {
        "latent_dim": 4,
        "generator_filters": (4, 4),
        "discriminator_filters": (4, 4),
    }
    hint = r"image_size=\(32, 32\) in keras_gen.data.load or from_arrays"
    with pytest.raises(
        ValueError,
        match=r"DCGAN's default generator .* divisible by 2\*\*2=4; got "
        r"input_shape \(30, 30, 3\)\. .*" + hint,
    ):
        DCGAN(input_shape=shape, **small)
    model = DCGAN(input_shape=data.info(folder, image_size=(32, 32)).shape, **small)
    fit_one_step(model, data.load(folder, "train", 8, image_size=(32, 32)))
    assert tuple(model.sample(2).shape) == (2, 32, 32, 3)


def _generator(size):
    return networks.conv_generator(4, (size, size, 3), filters=(4,))


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda: WGANGP(input_shape=(36, 20, 3), generator_filters=(8, 8, 8)),
            ValueError,
            r"WGANGP's default generator \(generator_filters=\(8, 8, 8\)\) has 3 "
            r"stride-2 layers, so it needs height and width divisible by 2\*\*3=8; "
            r"got input_shape \(36, 20, 3\)\. Sizes that work are multiples of 8: "
            r"resize the images, e.g. image_size=\(40, 24\)",
        ),
        (
            lambda: DCGAN(
                input_shape=(32, 32, 3),
                generator=_generator(32),
                discriminator_filters=(4, 4, 4, 4, 4, 4),
            ),
            ValueError,
            r"DCGAN's default discriminator \(discriminator_filters=\(4, 4, 4, 4, 4, "
            r"4\)\) has 6 stride-2 layers.*divisible by 2\*\*6=64; got input_shape "
            r"\(32, 32, 3\).*image_size=\(64, 64\)",
        ),
        (
            lambda: Autoencoder(input_shape=(10, 10, 1), network="conv"),
            ValueError,
            r"Autoencoder's default encoder \(network='conv', filters=\(32, 64\)\).*"
            r"divisible by 2\*\*2=4; got input_shape \(10, 10, 1\).*"
            r"image_size=\(12, 12\)",
        ),
        (
            lambda: Autoencoder(input_shape=(28, 28), network="conv"),
            ValueError,
            r"needs images \(H, W, C\), got input_shape \(28, 28\); give grey images a "
            r"channel axis: input_shape=\(28, 28, 1\)",
        ),
        (
            lambda: DCGAN(input_shape=(64,)),
            ValueError,
            r"DCGAN's default generator .* needs images \(H, W, C\), got input_shape "
            r"\(64,\); use dense networks for such data",
        ),
        (
            lambda: Classifier(input_shape=(2, 2, 1)),
            ValueError,
            r"Classifier's default network \(filters=\(32, 64\)\) has 2 2x2 poolings, "
            r"so it needs height and width of at least 2\*\*2=4; got input_shape "
            r"\(2, 2, 1\): resize the images, e.g. image_size=\(4, 4\)",
        ),
        (
            lambda: networks.conv_decoder(8, (6, 6, 1), filters=(4, 4)),
            ValueError,
            r"conv_decoder\(filters=\(4, 4\)\) has 2 stride-2 layers.*got output_shape "
            r"\(6, 6, 1\).*image_size=\(8, 8\)",
        ),
        (
            lambda: Autoencoder(input_shape=28),
            TypeError,
            r"input_shape must be a tuple of ints such as \(28, 28, 1\), got 28\.",
        ),
        (
            lambda: Autoencoder(input_shape=(28, 28.5, 1)),
            TypeError,
            r"input_shape must be a tuple of ints .*got \(28, 28\.5, 1\)\.",
        ),
        (
            lambda: Autoencoder(input_shape=(28, 0, 1)),
            ValueError,
            r"input_shape must be non-empty positive ints, got \(28, 0, 1\)\.",
        ),
    ],
    ids=[
        "indivisible",
        "too_deep",
        "conv_autoencoder",
        "no_channel_axis",
        "vectors",
        "classifier_too_small",
        "builder",
        "not_a_tuple",
        "not_ints",
        "zero_size",
    ],
)
def test_a_shape_the_default_networks_cannot_take_is_a_clear_error(
    build, error, message
):
    with pytest.raises(error, match=message):
        build()
