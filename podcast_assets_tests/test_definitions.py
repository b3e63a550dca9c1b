import subprocess
import sys
from pathlib import Path

import dagster as dg

from podcast_assets.definitions import defs


def test_dagster_validates_the_code_location(tmp_path):
    out = subprocess.run([str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-m",
                          "podcast_assets.definitions"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Validation successful" in out.stderr + out.stdout


def test_the_graph_and_its_automation():
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == {"trending_podcasts", "episodes", "episode_catalog", "episode_audio", "transcripts",
                    "episode_embeddings", "episode_similarities", "user_events", "user_events_raw",
                    "daily_engagement", "als_model", "user_recommendations", "hybrid_recommendations",
                    "popular_recommendations", "transcript_passages", "feeds", "feed_episodes", "passage_keyword_index"}
    sensors = {s.name: s for s in defs.sensors}
    assert set(sensors) == {"automation_sensor", "run_failure_sensor", "episode_metadata_sensor", "downloaded_audio_sensor",
                            "unfinished_episodes_sensor", "user_events_sensor", "daily_engagement_sensor", "retrain_on_engagement_sensor",
                            "mongo_fallback_sensor", "published_sets_fallback_sensor", "feed_poll_sensor"}
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in sensors.values())
    schedules = {s.name: s for s in defs.schedules}
    assert set(schedules) == {"daily_retrain_schedule", "listener_events_schedule"}
    assert all(s.default_status == dg.DefaultScheduleStatus.RUNNING for s in schedules.values())
    graph = defs.resolve_asset_graph()
    automated = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).automation_condition}
    assert automated >= {"trending_podcasts", "episodes", "episode_catalog", "episode_embeddings", "episode_similarities",
                         "transcript_passages", "feeds", "passage_keyword_index"}
    # the trending ingest and the feed polls decide what is new against one table, one run at a time
    from podcast_assets.ingest.assets import episodes, feed_episodes

    assert episodes.op.pool == feed_episodes.op.pool == "episode_publishing"


def test_downloads_and_transcription_queue_in_lanes_of_their_own():
    """A download waits on the network, a transcription on the cores: each lane has its own limit, so a refused or
    dripping episode is not queued behind transcriptions, and downloads never take every run slot."""
    import yaml

    from podcast_assets.local.instance import DAGSTER_YAML
    from podcast_assets.transcripts.sensors import QUEUE_TAG, episode_jobs

    episode_download_job, episode_transcription_job = episode_jobs()

    runs = yaml.safe_load(DAGSTER_YAML)["concurrency"]["runs"]
    lanes = {limit["value"]: limit["limit"] for limit in runs["tag_concurrency_limits"] if limit["key"] == QUEUE_TAG}
    assert lanes == {"transcription": 2, "download": 2} and runs["max_concurrent_runs"] > sum(lanes.values())
    assert episode_download_job.tags[QUEUE_TAG] == "download" and episode_transcription_job.tags[QUEUE_TAG] == "transcription"
    assert {k.to_user_string() for k in episode_download_job.selection.resolve(defs.resolve_asset_graph())} == {"episode_audio"}


def test_listeners_can_be_switched_off_where_real_events_arrive():
    from podcast_assets.events.sensors import listener_events_schedule

    assert listener_events_schedule("*/5 * * * *", False).default_status == dg.DefaultScheduleStatus.STOPPED


def test_secrets_from_the_environment_stay_env_vars(monkeypatch):
    from podcast_assets.resources.factory import build_resources
    from podcast_assets.resources.podcast_index import PodcastIndexResource
    from podcast_assets.settings import settings_from_env

    monkeypatch.setenv("PODCAST_INDEX_API_KEY", "real-key")
    monkeypatch.setenv("PODCAST_INDEX_API_SECRET", "real-secret-123")
    monkeypatch.setenv("MONGO_URI", "mongodb://user:pw@127.0.0.1:27017")
    monkeypatch.delenv("PODCAST_INDEX_URL", raising=False)
    settings = settings_from_env()
    assert settings.podcast_index_url == "https://api.podcastindex.org/api/1.0"  # real credentials, no URL
    resources = build_resources(settings)
    index = resources["podcast_index"]
    # configured by name, resolved only inside a run: the UI and run records never hold the value
    assert isinstance(index.api_secret, dg.EnvVar) and index.api_secret == "PODCAST_INDEX_API_SECRET"
    assert isinstance(resources["mongo"].uri, dg.EnvVar)
    assert "real-secret-123" not in repr(index) and "pw@" not in repr(resources["mongo"])

    @dg.asset
    def probe(podcast_index: PodcastIndexResource) -> None:
        assert podcast_index.api_secret == "real-secret-123"

    assert dg.materialize([probe], resources={"podcast_index": index}).success


def test_engines_are_resources_chosen_per_deployment():
    from podcast_assets.resources.engines import AlsEngine, KnnEngine, SparkAlsEngine, SparkKnnEngine
    from podcast_assets.resources.factory import build_resources
    from podcast_assets.settings import Settings

    local = build_resources(Settings(TOP_K=7))
    assert type(local["knn"]) is KnnEngine and type(local["als"]) is AlsEngine and local["knn"].top_k == 7
    spark = build_resources(Settings(KNN_ENGINE="spark", ALS_ENGINE="spark", ALS_RANK=16))
    assert isinstance(spark["knn"], SparkKnnEngine) and isinstance(spark["als"], SparkAlsEngine)
    assert spark["als"].rank == 16 and spark["knn"].name == spark["als"].name == "spark"
    import pytest

    with pytest.raises(ValueError, match="KNN_ENGINE"):
        build_resources(Settings(KNN_ENGINE="gpu"))


def test_one_source_of_truth_for_the_embedding_model():
    from podcast_assets.resources.factory import build_resources
    from podcast_assets.settings import Settings

    resources = build_resources(Settings(MODEL_NAME="some/other-model"))
    assert resources["embedder"].model_name == "some/other-model"
    # the assets that write and read vectors all take the embedder resource, none a setting of their own
    for name in ("episode_embeddings", "episode_similarities", "hybrid_recommendations"):
        node = defs.resolve_assets_def(name)
        assert "embedder" in node.required_resource_keys, name
