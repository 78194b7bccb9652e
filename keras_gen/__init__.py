"""keras_gen: autoencoders, VAEs, adversarial autoencoders and GANs in Keras 3."""

from . import data as data
from . import distribute as distribute
from . import zoo as zoo
from .models.autoencoder import Autoencoder as Autoencoder
from .models.base import GenerativeModel as GenerativeModel

__version__ = "0.1.0"

__all__ = ["Autoencoder", "GenerativeModel", "data", "distribute", "zoo"]
