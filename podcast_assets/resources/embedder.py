"""The sentence-embedding model as a resource (bundled all-MiniLM-L6-v2 by default, offline).

``model_name`` is the one source of truth for which vectors the graph writes and compares.
"""

from __future__ import annotations

import dagster as dg

from podcast_assets.resources.bundled_models import embedder_path
from podcast_assets.settings import DEFAULTS as D
from podcast_assets.similarities.embedding import LongTextEmbedder


class EmbedderResource(dg.ConfigurableResource):
    model_name: str = D.MODEL_NAME
    device: str = D.DEVICE
    batch_size: int = D.BATCH_SIZE
    max_tokens: int = D.MAX_TOKENS
    overlap: int = D.OVERLAP
    safety_margin: int = D.SAFETY_MARGIN

    def embedder(self) -> LongTextEmbedder:
        from sentence_transformers import SentenceTransformer

        path = embedder_path(self.model_name)
        model = SentenceTransformer(path, device=self.device, local_files_only=path != self.model_name)
        return LongTextEmbedder(model, self.max_tokens, self.overlap, self.safety_margin, self.batch_size)
