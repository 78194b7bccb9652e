"""keras_gen: autoencoders, VAEs, adversarial autoencoders and GANs in Keras 3."""

from . import callbacks as callbacks
from . import cards as cards
from . import data as data
from . import distribute as distribute
from . import divergences as divergences
from . import evaluation as evaluation
from . import features as features
from . import layers as layers
from . import losses as losses
from . import metrics as metrics
from . import presets as presets
from . import priors as priors
from . import recipes as recipes  # registers the shipped presets in zoo
from . import runs as runs
from . import toy as toy
from . import training as training
from . import zoo as zoo
from .models.aae import AAE as AAE
from .models.adversarial import AdversarialModel as AdversarialModel
from .models.autoencoder import Autoencoder as Autoencoder
from .models.base import GenerativeModel as GenerativeModel
from .models.base import Model as Model
from .models.cgan import ConditionalGAN as ConditionalGAN
from .models.classifier import Classifier as Classifier
from .models.clustering import DeepClustering as DeepClustering
from .models.clustering_aae import ClusteringAAE as ClusteringAAE
from .models.cvae import CVAE as CVAE
from .models.dcgan import DCGAN as DCGAN
from .models.gan import GAN as GAN
from .models.regularized_ae import ContractiveAutoencoder as ContractiveAutoencoder
from .models.regularized_ae import DenoisingAutoencoder as DenoisingAutoencoder
from .models.regularized_ae import (
    StochasticContractiveAutoencoder as StochasticContractiveAutoencoder,
)
from .models.ssaae import SemiSupervisedAAE as SemiSupervisedAAE
from .models.ssgan import SemiSupervisedGAN as SemiSupervisedGAN
from .models.ssvae import SemiSupervisedVAE as SemiSupervisedVAE
from .models.stacked import StackedAutoencoder as StackedAutoencoder
from .models.supervised_aae import SupervisedAAE as SupervisedAAE
from .models.vae import VAE as VAE
from .models.wgan import WGANGP as WGANGP

__version__ = "0.1.0"

__all__ = [
    "AAE",
    "AdversarialModel",
    "ClusteringAAE",
    "SemiSupervisedAAE",
    "SemiSupervisedGAN",
    "SupervisedAAE",
    "priors",
    "Model",
    "callbacks",
    "cards",
    "evaluation",
    "features",
    "presets",
    "training",
    "runs",
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
    "data",
    "distribute",
    "divergences",
    "layers",
    "losses",
    "metrics",
    "toy",
    "zoo",
]
