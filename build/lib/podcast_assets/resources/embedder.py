"""The sentence-embedding model as a resource (bundled all-MiniLM-L6-v2 by default, offline)."""

from __future__ import annotations

import dagster as dg

from podcast_assets.core.embedding import LongTextEmbedder
from podcast_assets.core.models import embedder_path


class EmbedderResource(dg.ConfigurableResource):
    model_name: str = "all-MiniLM-L6-v2"
    device: str = "cpu"
    batch_size: int = 32
    max_tokens: int = 256
    overlap: int = 32
    safety_margin: int = 8

    def embedder(self) -> LongTextEmbedder:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(embedder_path(self.model_name), device=self.device)
        return LongTextEmbedder(model, self.max_tokens, self.overlap, self.safety_margin, self.batch_size)
