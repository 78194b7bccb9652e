"""Every picture of keras_gen.plot and the SampleGrid callback: each PNG is decoded,
its size checked (figsize * dpi pixels) and checked not to be blank; bad input gets
an error that names what was expected and what came."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import keras_gen
from keras_gen import plot
from keras_gen.callbacks import SampleGrid
from keras_gen.plot import verbs

SHAPE = (8, 8, 1)
# Cores shared with other jobs: OpenMP's busy-waiting makes t-SNE crawl otherwise.
TSNE = {"threads": 1, "seed": 0}


def decoded(path, size, ink=0.05):
    """The PNG at `path` as an RGB array, checked to be `size` (width, height) and
    not blank: varied pixels, and more than a fraction `ink` not white (titles
    alone are under 1 %; a scatter's points and frames are a few %)."""
    image = Image.open(path)
    assert image.format == "PNG"
    assert image.size == size
    pixels = np.asarray(image.convert("RGB"), np.float32)
    assert pixels.std() > 5.0
    assert np.mean(pixels.min(-1) < 230) > ink, "almost all white"
    return pixels


def coloured(pixels):
    """How many pixels are clearly coloured (not grey): scatter points."""
    return int(np.sum(pixels.max(-1) - pixels.min(-1) > 60))


def tiny(cls, **kwargs):
    keras.utils.set_random_seed(0)
    return cls(input_shape=SHAPE, **kwargs)


def tiny_gan(units=16, compiled=False):
    units = {"generator_units": (units,), "discriminator_units": (units,)}
    gan = tiny(keras_gen.GAN, latent_dim=4, **units)
    if compiled:
        gan.compile(d_optimizer=keras.optimizers.Adam(), g_optimizer="adam")
    return gan


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.random((60, *SHAPE)).astype("float32")
    return x, np.arange(60) % 3


@pytest.fixture(scope="module")
def ae():
    return tiny(keras_gen.Autoencoder, latent_dim=2, hidden_units=(16,))


@pytest.fixture(scope="module")
def vae():
    return tiny(keras_gen.VAE, latent_dim=2, hidden_units=(16,))


@pytest.fixture(scope="module")
def cvae():
    return tiny(keras_gen.CVAE, latent_dim=2, num_classes=3, hidden_units=(16,))


@pytest.fixture(scope="module")
def gan():
    return tiny_gan()


# -- grids and scatter kept as they were ---------------------------------------


def test_image_grid_save_figure_and_save_scatter_keep_their_behaviour(tmp_path, data):
    x, y = data
    grid = plot.image_grid(x[:10], ncols=4, pad=1)
    assert grid.shape == (3 * 9 - 1, 4 * 9 - 1, 1)
    path = plot.save_figure(tmp_path / "f.png", {"a": x[:8], "b": x[8:16]}, ncols=4)
    decoded(path, (800, 440))
    points = np.random.default_rng(0).normal(size=(60, 2))
    path = plot.save_scatter(tmp_path / "s.png", {"one": (points, y)})
    assert coloured(decoded(path, (550, 500), 0.01)) > 50


def test_writing_pictures_leaves_the_users_pyplot_alone(tmp_path, ae, data):
    # A notebook's inline backend (here: svg, anything but Agg) and its open figures
    # stay as they were: the pictures are drawn on figures pyplot does not manage.
    import matplotlib
    import matplotlib.pyplot as plt

    before = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        mine = plt.figure()
        x, y = data
        plot.save_figure(tmp_path / "f.png", {"a": x[:8]})
        plot.save_scatter(tmp_path / "s.png", {"one": (x[:20, 0, :2, 0], y[:20])})
        plot.save_reconstructions(ae, tmp_path / "r.png", x[:4])
        plot.save_history({"loss": [3.0, 2.0, 1.0]}, tmp_path / "h.png")
        assert matplotlib.get_backend() == "svg"
        assert plt.get_fignums() == [mine.number]
        decoded(tmp_path / "r.png", Image.open(tmp_path / "r.png").size, 0.01)
    finally:
        plt.close("all")
        matplotlib.use(before)


# -- samples -------------------------------------------------------------------


def test_save_samples_of_a_gan(tmp_path, gan):
    path = plot.save_samples(gan, tmp_path / "g.png", n=16, ncols=4, figsize=(4, 3))
    decoded(path, (400, 300))
    path = plot.save_samples(gan, tmp_path / "d.png", n=8, seed=3, dpi=50)
    Image.open(path).verify()


def test_save_samples_of_a_conditional_model_draws_its_classes(tmp_path, cvae):
    assert verbs.draw_samples(cvae, 6, seed=0).shape == (6, *SHAPE)
    assert verbs.class_labels(cvae, 5, None).tolist() == [0, 1, 2, 0, 1]
    path = plot.save_samples(cvae, tmp_path / "c.png", n=9, labels=2, figsize=(3, 3))
    decoded(path, (300, 300))


@pytest.mark.parametrize("name", ["ae", "vae", "gan", "cvae"])
def test_seeded_samples_repeat_and_leave_the_random_streams_as_they_were(name, request):
    model = request.getfixturevalue(name)
    states = [v for v in model.variables if v.name == verbs.SEED_STATE]
    before = [v.numpy().copy() for v in states]
    first = verbs.draw_samples(model, 5, seed=7)
    np.testing.assert_array_equal(first, verbs.draw_samples(model, 5, seed=7))
    assert not np.array_equal(first, verbs.draw_samples(model, 5, seed=8))
    for variable, value in zip(states, before, strict=True):
        np.testing.assert_array_equal(variable.numpy(), value)


# -- reconstructions -----------------------------------------------------------


def test_save_reconstructions_puts_originals_above(tmp_path, ae, cvae, data):
    x, y = data
    path = plot.save_reconstructions(ae, tmp_path / "r.png", x[:12], figsize=(6, 3))
    pixels = decoded(path, (600, 300))
    top, bottom = pixels[:150], pixels[150:]
    assert abs(top.std() - bottom.std()) > 1.0  # random images vs smooth outputs
    path = plot.save_reconstructions(
        cvae, tmp_path / "c.png", x[:6], labels=y[:6], figsize=(4, 2), dpi=80
    )
    decoded(path, (320, 160))


# -- codes in 2-D ----------------------------------------------------------------


def test_latent_scatter_of_a_2d_code_shows_it_beside_pca_and_tsne(tmp_path, ae, data):
    x, y = data
    path = plot.save_latent_scatter(
        ae, tmp_path / "l.png", x, y, figsize=(9, 3), **TSNE
    )
    assert coloured(decoded(path, (900, 300), 0.01)) > 100
    panels = plot.latent.projections(verbs.encode(ae, x), 30.0, 0, threads=1)
    assert list(panels)[0] == "codes as they are (2-D)"
    assert [p.shape for p in panels.values()] == [(60, 2)] * 3


def test_embedding_of_wider_codes_is_pca_and_tsne_of_a_subsample(tmp_path):
    labels = np.arange(90) % 12
    codes = np.random.default_rng(1).normal(size=(90, 5)) + labels[:, None]
    path = plot.save_embedding(
        tmp_path / "e.png", codes, labels, max_points=50, figsize=(8, 4), **TSNE
    )
    assert coloured(decoded(path, (800, 400), 0.01)) > 100
    panels = plot.latent.projections(codes, 30.0, 0, threads=1)
    assert len(panels) == 2
    assert "perplexity 29.6667" in list(panels)[1]
    path = plot.save_embedding(tmp_path / "g.png", codes, dpi=40, **TSNE)
    decoded(path, (int(40 * (4.5 * 2 + 1)), 184), 0.01)


def test_latent_scatter_of_a_vae_uses_posterior_means(tmp_path, vae, cvae, data):
    x, y = data
    codes = verbs.encode(vae, x[:10])
    np.testing.assert_allclose(codes, vae.encode(x[:10]).mean().numpy(), atol=1e-6)
    path = plot.save_latent_scatter(
        cvae, tmp_path / "c.png", x[:30], y[:30], figsize=(9, 3), dpi=50, **TSNE
    )
    decoded(path, (450, 150), 0.01)


# -- manifold ------------------------------------------------------------------


def test_manifold_codes_layout():
    z = plot.manifold_codes(3)
    q = 0.9674216  # the standard normal's quantile at 5/6
    np.testing.assert_allclose(z[0], [-q, q], atol=1e-5)  # top left
    np.testing.assert_allclose(z[4], [0, 0], atol=1e-6)
    np.testing.assert_allclose(z[-1], [q, -q], atol=1e-5)  # bottom right
    z = plot.manifold_codes(2, "linear", ((0, 1), (-2, 2)))
    np.testing.assert_allclose(z, [[0, 2], [1, 2], [0, -2], [1, -2]])


def test_save_manifold_normal_and_linear(tmp_path, vae, ae, cvae):
    path = plot.save_manifold(vae, tmp_path / "v.png", n=6, figsize=(4, 4))
    decoded(path, (400, 400))
    path = plot.save_manifold(
        ae, tmp_path / "a.png", n=5, grid="linear", limits=(-1, 1), figsize=(3, 3)
    )
    decoded(path, (300, 300))
    path = plot.save_manifold(cvae, tmp_path / "c.png", n=4, labels=1, dpi=50)
    Image.open(path).verify()


# -- interpolations --------------------------------------------------------------


def test_save_interpolations_of_pairs_and_of_one_pair(tmp_path, vae, ae, data):
    x, _ = data
    path = plot.save_interpolations(
        vae, tmp_path / "v.png", x[:3], x[3:6], steps=6, figsize=(8, 3)
    )
    decoded(path, (800, 300))
    path = plot.save_interpolations(ae, tmp_path / "a.png", x[0], x[1], figsize=(6, 1))
    decoded(path, (600, 100))
    z = plot.pictures.interpolation_codes(np.zeros((1, 2)), np.ones((1, 2)), 5)
    np.testing.assert_allclose(z[0, :, 0], [0, 0.25, 0.5, 0.75, 1])


# -- training curves ---------------------------------------------------------------


def test_save_history_from_a_keras_history(tmp_path, data):
    x, _ = data
    model = tiny(keras_gen.Autoencoder, latent_dim=2, hidden_units=(8,))
    model.compile("adam")
    history = model.fit(x, epochs=2, batch_size=30, validation_split=0.5, verbose=0)
    groups = plot.curves.metric_groups(list(history.history))
    assert groups["loss"] == ["loss", "val_loss"]
    path = plot.save_history(history, tmp_path / "h.png", figsize=(9, 3))
    decoded(path, (900, 300), 0.02)


def test_save_history_from_dicts(tmp_path):
    lists = {"loss": [3.0, 2.0, 1.5], "val_loss": [3.5, 2.5, 2.0], "mse": [1, 0.5, 0.2]}
    path = plot.save_history(lists, tmp_path / "l.png", dpi=50)
    decoded(path, (400, 150), 0.02)  # two panels: loss (with val_loss) and mse
    by_epoch = {"1": {"loss": 2.0, "kl": 1.0}, "2": {"loss": 1.0, "kl": 0.5}}
    assert plot.history_series(by_epoch)["kl"].tolist() == [1.0, 0.5]
    path = plot.save_history(by_epoch, tmp_path / "e.png", metrics="loss", dpi=50)
    decoded(path, (200, 150), 0.02)


# -- bad input -----------------------------------------------------------------


def test_pictures_name_the_missing_verb(tmp_path, gan, data):
    x, _ = data
    with pytest.raises(
        ValueError,
        match="save_interpolations needs a model with encode and decode; GAN has no "
        "encode and no decode",
    ):
        plot.save_interpolations(gan, tmp_path / "i.png", x[:2], x[2:4])
    with pytest.raises(ValueError, match="needs a model with reconstruct; GAN has no"):
        plot.save_reconstructions(gan, tmp_path / "r.png", x[:2])
    with pytest.raises(ValueError, match="needs a model with encode; GAN has no"):
        plot.save_latent_scatter(gan, tmp_path / "l.png", x)
    with pytest.raises(ValueError, match="needs a model with decode; GAN has no"):
        plot.save_manifold(gan, tmp_path / "m.png")
    with pytest.raises(ValueError, match="Sampling needs a model with sample; object"):
        plot.save_samples(object(), tmp_path / "s.png")
    assert not list(tmp_path.iterdir())


def test_pictures_refuse_bad_shapes_and_options(tmp_path, ae, data):
    x, y = data
    shape = r"expected x of shape \(batch, 8, 8, 1\) for Autoencoder, got \(4, 8, 8\)"
    with pytest.raises(ValueError, match=shape):
        plot.save_reconstructions(ae, tmp_path / "r.png", x[:4, ..., 0])
    with pytest.raises(ValueError, match=r"x_a and x_b of the same shape, got \(2, "):
        plot.save_interpolations(ae, tmp_path / "i.png", x[:2], x[:3])
    with pytest.raises(ValueError, match="steps must be at least 2"):
        plot.save_interpolations(ae, tmp_path / "i.png", x[:2], x[2:4], steps=1)
    with pytest.raises(ValueError, match="grid must be 'normal' or 'linear', got 'x'"):
        plot.save_manifold(ae, tmp_path / "m.png", grid="x")
    with pytest.raises(ValueError, match=r"limits must be \(low, high\)"):
        plot.manifold_codes(3, "linear", (1, 2, 3))
    with pytest.raises(ValueError, match="n must be a positive integer, got 0"):
        plot.save_samples(ae, tmp_path / "s.png", n=0)
    with pytest.raises(ValueError, match=r"labels must have shape \(60,\), one per"):
        plot.save_latent_scatter(ae, tmp_path / "l.png", x, y[:5])
    wide = tiny(keras_gen.Autoencoder, latent_dim=3, hidden_units=(8,))
    with pytest.raises(ValueError, match="needs a 2-D code .* has latent_dim=3"):
        plot.save_manifold(wide, tmp_path / "m.png")
    assert not list(tmp_path.iterdir())


def test_embedding_refuses_bad_codes_and_labels(tmp_path):
    codes = np.zeros((10, 3))
    with pytest.raises(ValueError, match=r"\(points, dims\) with dims >= 2, got \(10,"):
        plot.save_embedding(tmp_path / "e.png", codes[:, 0])
    with pytest.raises(ValueError, match="at least 4 points, got 3"):
        plot.save_embedding(tmp_path / "e.png", codes[:3])
    with pytest.raises(ValueError, match=r"labels must have shape \(10,\), one per"):
        plot.save_embedding(tmp_path / "e.png", codes, np.arange(9))
    with pytest.raises(ValueError, match="labels must be integer classes"):
        plot.save_embedding(tmp_path / "e.png", codes, np.linspace(0, 1, 10))
    codes[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite codes"):
        plot.save_embedding(tmp_path / "e.png", codes)


def test_history_refuses_what_is_not_a_history(tmp_path):
    with pytest.raises(TypeError, match="History or a dict of metric lists, got int"):
        plot.save_history(3, tmp_path / "h.png")
    with pytest.raises(ValueError, match="history has no metric"):
        plot.save_history({}, tmp_path / "h.png")
    with pytest.raises(ValueError, match="history has no epoch"):
        plot.save_history({"loss": []}, tmp_path / "h.png")
    with pytest.raises(TypeError, match=r"history\['loss'\] must be a list of numbers"):
        plot.save_history({"loss": ["a"]}, tmp_path / "h.png")
    with pytest.raises(ValueError, match="no metric 'acc'; it has 'loss'"):
        plot.save_history({"loss": [1.0]}, tmp_path / "h.png", metrics=["acc"])


# -- SampleGrid --------------------------------------------------------------------


def image_summaries(log_dir, tag="samples"):
    """`{step: decoded image}` of the image summaries `tag` in `log_dir`."""
    out = {}
    for events in sorted(log_dir.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(events)):
            for value in event.summary.value:
                if value.tag == tag:
                    assert value.metadata.plugin_data.plugin_name == "images"
                    png = tf.make_ndarray(value.tensor)[2]  # width, height, images
                    out[event.step] = tf.io.decode_png(png).numpy()
    return out


def test_sample_grid_writes_fixed_noise_samples_and_tensorboard_images(tmp_path, data):
    x, _ = data
    gan = tiny_gan(compiled=True)
    grid = SampleGrid(
        tmp_path / "grids", n=16, ncols=4, log_dir=tmp_path / "logs", figsize=(3, 3)
    )
    gan.fit(x, epochs=2, batch_size=20, callbacks=[grid], verbose=0)
    np.testing.assert_array_equal(grid.noise, gan.noise_batch(16, seed=0))
    paths = sorted((tmp_path / "grids").iterdir())
    assert [p.name for p in paths] == ["epoch_0001.png", "epoch_0002.png"]
    first, second = (decoded(p, (300, 300)) for p in paths)
    assert not np.array_equal(first, second)  # the generator learned
    images = image_summaries(tmp_path / "logs")
    assert sorted(images) == [1, 2]
    for image in images.values():
        assert image.shape[:2] == (4 * 9 - 1, 4 * 9 - 1)
        assert image.std() > 5.0


def test_sample_grid_every_n_epochs_counts_across_fits(tmp_path, data):
    x, _ = data
    vae = tiny(keras_gen.VAE, latent_dim=2, hidden_units=(8,))
    vae.compile("adam")
    grid = SampleGrid(
        str(tmp_path / "vae_{epoch:02d}.png"), every=2, n=9, ncols=3, dpi=50
    )
    for _ in range(2):
        vae.fit(x, epochs=2, batch_size=30, callbacks=[grid], verbose=0)
    assert [p.name for p in grid.written] == ["vae_02.png", "vae_04.png"]
    for path in grid.written:
        decoded(path, (150, 110))  # the default size of a 3 x 3 grid, at 50 dpi


def test_sample_grid_of_reconstructions_of_a_fixed_batch(tmp_path, data):
    x, _ = data
    ae = tiny(keras_gen.Autoencoder, latent_dim=2, hidden_units=(8,))
    ae.compile("adam")
    grid = SampleGrid(
        tmp_path / "latest.png",
        images=x[:8],
        ncols=4,
        log_dir=tmp_path / "logs",
        name="reconstructions",
        figsize=(4, 4),
    )
    ae.fit(x, epochs=2, batch_size=30, callbacks=[grid], verbose=0)
    assert [p.name for p in tmp_path.glob("*.png")] == ["latest.png"]
    decoded(tmp_path / "latest.png", (400, 400))
    images = image_summaries(tmp_path / "logs", "reconstructions")
    assert sorted(images) == [1, 2]
    assert images[2].shape[:2] == (2 * (2 * 9 - 1) + 2, 4 * 9 - 1)


def test_sample_grid_refuses_bad_options_and_models(tmp_path, data):
    x, _ = data
    with pytest.raises(ValueError, match="every must be a positive integer, got 0"):
        SampleGrid(tmp_path, every=0)
    gan = tiny_gan(8, compiled=True)
    grid = SampleGrid(tmp_path, images=x[:4])
    with pytest.raises(
        ValueError, match=r"SampleGrid\(images=...\) needs a model with"
    ):
        gan.fit(x, epochs=1, batch_size=30, callbacks=[grid], verbose=0)
    ae = tiny(keras_gen.Autoencoder, latent_dim=2, hidden_units=(8,))
    ae.compile("adam")
    grid = SampleGrid(tmp_path, images=x[:4, :4])
    with pytest.raises(
        ValueError, match=r"expected images of shape \(batch, 8, 8, 1\)"
    ):
        ae.fit(x, epochs=1, batch_size=30, callbacks=[grid], verbose=0)
