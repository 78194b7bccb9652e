"""Presets of the autoencoder family: AE, DAE, CAE, stacked AE, deep clustering."""

from .. import zoo
from ..models import (
    Autoencoder,
    ContractiveAutoencoder,
    DeepClustering,
    DenoisingAutoencoder,
    StackedAutoencoder,
    StochasticContractiveAutoencoder,
)

zoo.register_preset(
    "ae_mnist",
    Autoencoder,
    config=dict(
        input_shape=(28, 28, 1),
        latent_dim=32,
        hidden_units=(512, 256),
        likelihood="bernoulli",
        seed=0,
    ),
    description="Dense undercomplete autoencoder, 784-512-256-32, Bernoulli.",
    dataset="mnist",
    # Faster here: benchmarks/results/throughput_options.md.
    recipe=dict(epochs=30, batch_size=128, learning_rate=1e-3, jit_compile=True),
    test_overrides=dict(hidden_units=(32,), latent_dim=8),
)

zoo.register_preset(
    "conv_ae_mnist",
    Autoencoder,
    config=dict(
        input_shape=(28, 28, 1),
        latent_dim=32,
        network="conv",
        filters=(32, 64),
        activation="relu",
        likelihood="bernoulli",
        seed=0,
    ),
    description="Convolutional autoencoder, 2 stride-2 convs (32, 64) to 32 codes.",
    dataset="mnist",
    # One step per execution without XLA is the fastest here (TensorFlow's CPU
    # convolutions beat XLA's): benchmarks/results/throughput_options.md.
    recipe=dict(
        epochs=20,
        batch_size=128,
        learning_rate=1e-3,
        jit_compile=False,
        steps_per_execution=1,
    ),
    test_overrides=dict(filters=(4, 8), latent_dim=4),
)

zoo.register_preset(
    "ae2d_mnist",
    Autoencoder,
    config=dict(
        input_shape=(28, 28, 1),
        latent_dim=2,
        hidden_units=(512, 256),
        likelihood="bernoulli",
        seed=0,
    ),
    description="Dense autoencoder with a 2-D code, 784-512-256-2, for plotting.",
    dataset="mnist",
    recipe=dict(epochs=30, batch_size=128, learning_rate=1e-3),
    test_overrides=dict(hidden_units=(32,)),
)

_SMALL = dict(hidden_units=(32,), latent_dim=8)

zoo.register_preset(
    "dae_mnist",
    DenoisingAutoencoder,
    config=dict(
        input_shape=(28, 28, 1),
        latent_dim=32,
        hidden_units=(512, 256),
        corruption="masking",
        noise_level=0.25,
        seed=0,
    ),
    description="Denoising autoencoder 784-512-256-32, 25 % masking noise.",
    recipe=dict(epochs=30, batch_size=128, learning_rate=1e-3),
    test_overrides=_SMALL,
)

# One layer of 1000 sigmoid units: the analytic and the stochastic CAE share it.
CAE_CONFIG = dict(
    input_shape=(28, 28, 1),
    latent_dim=1000,
    hidden_units=(),
    code_activation="sigmoid",
    contraction=100.0,
    seed=0,
)
CAE_RECIPE = dict(epochs=30, batch_size=128, learning_rate=1e-3)

zoo.register_preset(
    "cae_mnist",
    ContractiveAutoencoder,
    config=CAE_CONFIG,
    description="Contractive autoencoder, one layer of 1000 sigmoid units "
    "(closed-form Jacobian penalty).",
    recipe=CAE_RECIPE,
    test_overrides=dict(latent_dim=16),
)

zoo.register_preset(
    "stochastic_cae_mnist",
    StochasticContractiveAutoencoder,
    config=CAE_CONFIG | dict(sigma=0.1, num_samples=1),
    description="Contractive autoencoder with the stochastic penalty: "
    "||h(x) - h(x + eps)||^2 / sigma^2, eps ~ N(0, 0.1^2), in place of the "
    "closed-form Jacobian (cae_mnist's network; no pretrained weights).",
    recipe=CAE_RECIPE,
    test_overrides=dict(latent_dim=16),
)

zoo.register_preset(
    "scae_mnist",
    StackedAutoencoder,
    config=dict(
        input_shape=(28, 28, 1),
        latent_dim=64,
        hidden_units=(500, 500),
        activation="sigmoid",
        code_activation="sigmoid",
        likelihood="bernoulli",
        seed=0,
    ),
    description="Stacked autoencoder 784-500-500-64 (sigmoid), pretrained layer-wise.",
    dataset="mnist",
    recipe=dict(epochs=20, batch_size=128, learning_rate=1e-3, pretrain_epochs=5),
    test_overrides=dict(hidden_units=(16,), latent_dim=4),
)

zoo.register_preset(
    "dcn_mnist",
    DeepClustering,
    config=dict(
        input_shape=(28, 28, 1),
        latent_dim=10,
        hidden_units=(500, 500, 2000),
        likelihood="bernoulli",
        num_clusters=10,
        clustering_weight=0.05,
        augment_shift=3.0,
        augment_rotation=10.0,
        seed=0,
    ),
    description="DCN: autoencoder 784-500-500-2000-10 with a k-means objective, K=10, "
    "trained on randomly shifted (3 px) and rotated (10 degrees) digits.",
    dataset="mnist",
    recipe=dict(
        batch_size=256,
        learning_rate=1e-3,
        supervised_metrics=True,
        clustering=dict(pretrain_epochs=60, rounds=10, epochs_per_round=1, restarts=10),
    ),
    test_overrides=dict(hidden_units=(16,), latent_dim=3, num_clusters=3),
)
