"""Pictures of models and training, written as PNG with matplotlib's Agg backend.

Image grids (`image_grid`, `save_figure`, `save_grid`), point clouds
(`save_scatter`), a model's samples (`save_samples`), reconstructions
(`save_reconstructions`), 2-D manifold (`save_manifold`), interpolations
(`save_interpolations`), codes by PCA and t-SNE (`save_latent_scatter`,
`save_embedding`) and training curves (`save_history`). The callback
`keras_gen.callbacks.SampleGrid` draws with these while a model trains.
"""

from .curves import history_series as history_series
from .curves import save_history as save_history
from .figures import image_grid as image_grid
from .figures import save_figure as save_figure
from .figures import save_scatter as save_scatter
from .latent import save_embedding as save_embedding
from .latent import save_latent_scatter as save_latent_scatter
from .pictures import manifold_codes as manifold_codes
from .pictures import save_grid as save_grid
from .pictures import save_interpolations as save_interpolations
from .pictures import save_manifold as save_manifold
from .pictures import save_pairs as save_pairs
from .pictures import save_reconstructions as save_reconstructions
from .pictures import save_samples as save_samples
from .verbs import draw_samples as draw_samples

__all__ = [
    "draw_samples",
    "history_series",
    "image_grid",
    "manifold_codes",
    "save_embedding",
    "save_figure",
    "save_grid",
    "save_history",
    "save_interpolations",
    "save_latent_scatter",
    "save_manifold",
    "save_pairs",
    "save_reconstructions",
    "save_samples",
    "save_scatter",
]
