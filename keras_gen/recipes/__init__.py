"""Every shipped preset's registration and training recipe, by family.

Importing this package (which `import keras_gen` does) registers the presets in
`keras_gen.zoo`. A recipe says how `keras-gen train` trains a preset: epochs,
batch size, data options, optimizers and schedules, and the notes its model card
prints. The presets live here, not in the model files, so that the models import
no registry and the registry imports no model.
"""

from . import aaes as aaes
from . import autoencoders as autoencoders
from . import classifier as classifier
from . import gans as gans
from . import vaes as vaes
from .optimizers import adam_cosine as adam_cosine

__all__ = ["aaes", "adam_cosine", "autoencoders", "classifier", "gans", "vaes"]
