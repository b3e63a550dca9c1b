"""The similarity stage's shared data: the transcribed catalogue, embedded and compared once."""

import dagster as dg
import pytest
from deltalake import DeltaTable

from podcast_assets.search.assets import transcript_passages
from podcast_assets.similarities.assets import episode_embeddings, episode_similarities


@pytest.fixture
def analysed(transcribed):
    settings, _, resources, _ = transcribed
    if not DeltaTable.is_deltatable(settings.delta_path("vectors")):
        # the passages first: the episode vectors are pooled from them (similarities/embedding.from_passages)
        assert dg.materialize([transcript_passages, episode_embeddings, episode_similarities],
                              resources=resources).success
    return settings, resources
