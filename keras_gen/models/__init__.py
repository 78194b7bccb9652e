"""keras_gen models; importing this package registers every preset."""

from .autoencoder import Autoencoder as Autoencoder
from .base import GenerativeModel as GenerativeModel
from .clustering import DeepClustering as DeepClustering
from .regularized_ae import ContractiveAutoencoder as ContractiveAutoencoder
from .regularized_ae import DenoisingAutoencoder as DenoisingAutoencoder
from .regularized_ae import (
    StochasticContractiveAutoencoder as StochasticContractiveAutoencoder,
)
from .stacked import StackedAutoencoder as StackedAutoencoder

__all__ = [
    "Autoencoder",
    "ContractiveAutoencoder",
    "DeepClustering",
    "DenoisingAutoencoder",
    "GenerativeModel",
    "StackedAutoencoder",
    "StochasticContractiveAutoencoder",
]
