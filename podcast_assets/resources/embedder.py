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

    def dimension(self) -> int:
        """The model's output dimension, from its saved module configs (no model load) when it has them."""
        import json
        from pathlib import Path

        root = Path(embedder_path(self.model_name))
        dims = None
        modules = root / "modules.json"
        for module in json.loads(modules.read_text()) if modules.is_file() else []:
            config = root / module.get("path", "") / "config.json"
            if module.get("type", "").endswith(("Pooling", "Dense")) and config.is_file():
                fields = json.loads(config.read_text())
                dims = fields.get("out_features", fields.get("word_embedding_dimension", dims))
        return int(dims) if dims else self.embedder().model.get_sentence_embedding_dimension()
