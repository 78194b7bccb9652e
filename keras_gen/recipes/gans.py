"""Presets of the GAN family: GAN, DCGAN, conditional GAN, WGAN-GP."""

from .. import zoo
from ..models import DCGAN, GAN, WGANGP, ConditionalGAN, SemiSupervisedGAN

# DCGAN and WGAN-GP samples are scored by the same protocol.
SAMPLE_QUALITY_NOTES = (
    "10,000 samples from fixed noise; FID and IS on the mnist_classifier preset's "
    "features and class posteriors, FID against the 10,000 test images"
)
ADAM_DCGAN = {"class_name": "Adam", "config": {"learning_rate": 2e-4, "beta_1": 0.5}}

# WGAN-GP: Gulrajani et al.'s Adam (no momentum in beta_1).
ADAM_WGAN = {
    "class_name": "Adam",
    "config": {"learning_rate": 1e-4, "beta_1": 0.0, "beta_2": 0.9},
}

# gan_mnist: Adam 2e-4 throughout; the samples come from the generator's moving
# average over about 10,000 steps (20 epochs of 500), which smooths the oscillation
# of the adversarial game (a decaying step would stop the generator instead, and the
# average with it).
ADAM = {"class_name": "Adam", "config": {"learning_rate": 2e-4, "beta_1": 0.5}}
ADAM_SSGAN = {"class_name": "Adam", "config": {"learning_rate": 3e-3, "beta_1": 0.5}}

zoo.register_preset(
    "gan_mnist",
    GAN,
    config=dict(
        input_shape=(28, 28, 1),
        latent_dim=100,
        generator_units=(1200, 1200),
        discriminator_units=(240, 240),
        maxout_pieces=5,
        generator_batch_norm=True,
        d_steps=1,
        generator_loss="non_saturating",
        noise="normal",
        ema_decay=0.9999,
        seed=0,
    ),
    description="The 2014 GAN's networks: 1200-1200 ReLU generator (plus batch "
    "norm), maxout 240x5 discriminator with dropout; samples from the generator's "
    "moving average (decay 0.9999 per step), which the weights file holds beside the "
    "trained generator (2,513,584 more values than the parameter count).",
    dataset="mnist",
    # Faster here: benchmarks/results/throughput_options.md.
    recipe=dict(
        jit_compile=True,
        epochs=150,
        batch_size=100,
        train_split="train[:50000]",
        train_examples=50000,
        validation_split="train[50000:]",
        sample_metrics=["parzen"],
        optimizers={"d_optimizer": ADAM, "g_optimizer": ADAM},
        metric_notes="Parzen window on 10,000 samples; sigma picked from "
        "logspace(-1, 0, 10) on 1,000 images of train[50000:]",
        # 22.0 MB in float32 (the moving average doubles the generator), over
        # the zoo's 20 MiB per file.
        weights_dtype="float16",
    ),
    test_overrides=dict(
        latent_dim=8, generator_units=(16,), discriminator_units=(8,), maxout_pieces=2
    ),
)

DCGAN_CONFIG = dict(
    input_shape=(28, 28, 1),
    latent_dim=100,
    generator_filters=(64, 32),
    discriminator_filters=(32, 64),
    seed=0,
)
DCGAN_RECIPE = dict(
    epochs=15,
    batch_size=64,
    sample_metrics=["fid", "inception_score", "class_fractions"],
    optimizers={"d_optimizer": ADAM_DCGAN, "g_optimizer": ADAM_DCGAN},
    metric_notes=SAMPLE_QUALITY_NOTES,
)
DCGAN_TEST = dict(latent_dim=8, generator_filters=(8, 4), discriminator_filters=(4, 8))

zoo.register_preset(
    "dcgan_mnist",
    DCGAN,
    config=DCGAN_CONFIG,
    description="DCGAN: 7x7x64 -> transposed convs (64, 32) generator, conv "
    "(32, 64) LeakyReLU discriminator.",
    dataset="mnist",
    recipe=DCGAN_RECIPE,
    test_overrides=DCGAN_TEST,
)

# improved_gan_mnist: dcgan_mnist's networks and recipe with minibatch
# discrimination (Salimans et al. 2016, section 3.2) before the logit, trained on
# train[:50000] so that train[50000:] chooses among candidates
# (benchmarks/results/improved_gan_runs.md).
zoo.register_preset(
    "improved_gan_mnist",
    DCGAN,
    config=DCGAN_CONFIG | {"minibatch_discrimination": (100, 5)},
    description="dcgan_mnist's networks with minibatch discrimination (100 kernels "
    "of dimension 5) on the discriminator's last features.",
    dataset="mnist",
    recipe=DCGAN_RECIPE
    | {
        "train_split": "train[:50000]",
        "train_examples": 50000,
        "validation_split": "train[50000:]",
    },
    test_overrides=DCGAN_TEST | {"minibatch_discrimination": (3, 2)},
)

zoo.register_preset(
    "cgan_mnist",
    ConditionalGAN,
    config=dict(
        input_shape=(28, 28, 1),
        latent_dim=100,
        num_classes=10,
        generator_units=(1200, 1200),
        discriminator_units=(240, 240),
        maxout_pieces=5,
        generator_batch_norm=True,
        noise="normal",
        seed=0,
    ),
    description="Conditional GAN: the gan_mnist networks with a one-hot label fed "
    "to both.",
    dataset="mnist",
    recipe=dict(
        epochs=30,
        batch_size=100,
        supervised=True,
        supervised_metrics=True,
        sample_metrics=["fid", "inception_score", "label_accuracy"],
        optimizers={"d_optimizer": ADAM, "g_optimizer": ADAM},
        metric_notes="10,000 samples from fixed noise, 1,000 per class; FID, IS and "
        "label accuracy on the mnist_classifier preset",
    ),
    test_overrides=dict(
        latent_dim=8, generator_units=(16,), discriminator_units=(8,), maxout_pieces=2
    ),
)

zoo.register_preset(
    "wgan_gp_mnist",
    WGANGP,
    config=dict(
        input_shape=(28, 28, 1),
        latent_dim=100,
        generator_filters=(64, 32),
        discriminator_filters=(32, 64),
        n_critic=5,
        gp_weight=10.0,
        seed=0,
    ),
    description="WGAN-GP: the dcgan_mnist generator, a conv critic without batch "
    "norm, 5 critic steps per generator step.",
    dataset="mnist",
    recipe=dict(
        epochs=30,
        batch_size=64,
        sample_metrics=["fid", "inception_score", "class_fractions"],
        optimizers={"d_optimizer": ADAM_WGAN, "g_optimizer": ADAM_WGAN},
        metric_notes=SAMPLE_QUALITY_NOTES,
    ),
    test_overrides=dict(
        latent_dim=8, generator_filters=(8, 4), discriminator_filters=(4, 8), n_critic=2
    ),
)

zoo.register_preset(
    "ssgan_mnist_100labels",
    SemiSupervisedGAN,
    config=dict(
        input_shape=(28, 28, 1),
        num_classes=10,
        latent_dim=100,
        generator_units=(500, 500),
        discriminator_units=(1000, 500, 250, 250, 250),
        feature_matching="features",
        classifier_ema_decay=0.999,
        # The labelled images stay out of the unsupervised term and the matched
        # features (run 1, with them in, collapsed: benchmarks/results/ssgan_runs.md).
        unsupervised_examples="unlabelled",
        seed=0,
    ),
    description="Semi-supervised K+1-class GAN (Salimans et al. 2016) on "
    "permutation-invariant MNIST with 100 labels: the released code's networks "
    "(weight-normalized), feature matching on the last hidden layer.",
    dataset="mnist",
    recipe=dict(
        epochs=300,
        batch_size=100,
        # The released code uses all 60,000 training images; we keep
        # train[50000:] out to score epoch budgets on (benchmarks/ssgan_table.py).
        train_split="train[:50000]",
        train_examples=50000,
        validation_split="train[50000:]",
        supervised_metrics=True,
        semi_supervised=dict(labelled_per_class=10, labelled_batch_size=100),
        # The released code's Adam 0.003, beta_1 0.5, for both players.
        optimizers={"d_optimizer": ADAM_SSGAN, "g_optimizer": ADAM_SSGAN},
        metric_notes="classification by argmax of the averaged discriminator's "
        "logits; Salimans et al. report 93 +- 6.5 test errors with 100 labels",
    ),
    test_overrides=dict(
        latent_dim=4, generator_units=(8,), discriminator_units=(16, 8)
    ),
)
