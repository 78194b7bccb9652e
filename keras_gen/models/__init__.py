"""keras_gen models; importing this package registers every preset."""

from .autoencoder import Autoencoder as Autoencoder
from .base import GenerativeModel as GenerativeModel

__all__ = ["Autoencoder", "GenerativeModel"]
