"""keras_gen models; importing this package registers every preset."""

from .aae import AAE as AAE
from .autoencoder import Autoencoder as Autoencoder
from .base import GenerativeModel as GenerativeModel
from .cgan import ConditionalGAN as ConditionalGAN
from .classifier import Classifier as Classifier
from .clustering import DeepClustering as DeepClustering
from .clustering_aae import ClusteringAAE as ClusteringAAE
from .cvae import CVAE as CVAE
from .dcgan import DCGAN as DCGAN
from .gan import GAN as GAN
from .regularized_ae import ContractiveAutoencoder as ContractiveAutoencoder
from .regularized_ae import DenoisingAutoencoder as DenoisingAutoencoder
from .regularized_ae import (
    StochasticContractiveAutoencoder as StochasticContractiveAutoencoder,
)
from .ssaae import SemiSupervisedAAE as SemiSupervisedAAE
from .ssgan import SemiSupervisedGAN as SemiSupervisedGAN
from .ssvae import SemiSupervisedVAE as SemiSupervisedVAE
from .stacked import StackedAutoencoder as StackedAutoencoder
from .supervised_aae import SupervisedAAE as SupervisedAAE
from .vae import VAE as VAE
from .wgan import WGANGP as WGANGP

__all__ = [
    "AAE",
    "ClusteringAAE",
    "SemiSupervisedAAE",
    "SemiSupervisedGAN",
    "SupervisedAAE",
    "ConditionalGAN",
    "DCGAN",
    "GAN",
    "WGANGP",
    "VAE",
    "CVAE",
    "SemiSupervisedVAE",
    "Autoencoder",
    "Classifier",
    "ContractiveAutoencoder",
    "DeepClustering",
    "DenoisingAutoencoder",
    "GenerativeModel",
    "StackedAutoencoder",
    "StochasticContractiveAutoencoder",
]
