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
                    "daily_engagement", "als_model", "user_recommendations", "hybrid_recommendations"}
    sensors = {s.name: s for s in defs.sensors}
    assert set(sensors) == {"episode_metadata_sensor", "user_events_sensor", "daily_engagement_sensor",
                            "retrain_on_engagement_sensor"}
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in sensors.values())
    assert [s.name for s in defs.schedules] == ["daily_retrain_schedule"]
