"""A batch of episodes from a hostile feed through the real assets (download, decode, transcription):
each hostile episode fails with its reason in the status table, nothing reaches the forbidden server,
and the honest episode of the batch is transcribed."""

from pathlib import Path

import dagster as dg
import pytest
from deltalake import DeltaTable

from podcast_assets.resources.feeds import FeedFetcherResource
from podcast_assets.transcripts.assets import episode_audio, transcripts
from podcast_assets.transcripts.sensors import _episode_run_config
from podcast_assets_tests.helpers import resources_for
from podcast_assets_tests.transcripts.hostile import Servers


def config(doc: dict) -> dict:
    """Both steps' config in one run, as the two lanes' runs would have it."""
    return {"ops": {**_episode_run_config([doc], "episode_audio")["ops"], **_episode_run_config([doc], "transcripts")["ops"]}}


@pytest.mark.slow
def test_a_hostile_batch_fails_episode_by_episode_and_the_honest_one_lands(settings, tmp_path):
    servers = Servers()
    port = servers.forbidden.rsplit(":", 1)[1]
    expected = {
        "71000001": (servers.url("/ok.mp3?sig=s3cret"), "transcribed"),
        "71000002": (f"http://{servers.forbidden}/count/a.mp3", "failed: refused: 127.0.0.1 resolves to a loopback"),
        "71000003": (f"http://localhost:{port}/count/b.mp3", "failed: refused: localhost resolves to a loopback"),
        "71000004": (servers.url("/redirect-to-loopback.mp3"), "failed: refused: redirect to http://127.0.0.1"),
        "71000005": (servers.url("/playlist.mp3"), "failed: 71000005.download is not decodable audio"),
        "71000006": (servers.url("/drip.mp3"), "failed: http://127.0.0.1"),  # ... took longer than the deadline
        "71000007": (servers.url("/huge.mp3"), "failed: http://127.0.0.1"),  # ... exceeds the cap
        "71000008": (servers.url("/long.mp3"), "failed: audio is longer than the 1 minute limit"),
    }
    feeds = FeedFetcherResource(allowed_hosts=[servers.allowed], audio_timeout_sec=4, max_audio_bytes=1_000_000,
                                max_audio_minutes=1.0)
    resources = resources_for(settings, feeds=feeds)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("episodes", [*expected, "../../outside"])
    results = {}
    try:
        for eid, (url, _) in expected.items():
            doc = {"episode_id": eid, "podcast_title": "Hostile FM", "episode_title": f"episode {eid}",
                   "audio_url": url, "transcript_url": "", "transcript_type": ""}
            results[eid] = dg.materialize([episode_audio, transcripts], partition_key=eid, instance=instance,
                                          resources=resources, run_config=config(doc), raise_on_error=False)
        traversal = dg.materialize([episode_audio, transcripts], partition_key="../../outside", instance=instance,
                                   resources=resources, raise_on_error=False)
    finally:
        servers.close()
    assert servers.hits == []  # nothing reached the forbidden server, by any route
    rows = DeltaTable(settings.delta_path("transcripts")).to_pandas().set_index("episode_id")
    for eid, (_, status) in expected.items():
        assert rows.loc[eid, "status"].startswith(status), (eid, rows.loc[eid, "status"])
        assert results[eid].success == (status == "transcribed")
    assert "took longer than the 4 s deadline" in rows.loc["71000006", "status"]
    assert "exceeds the cap" in rows.loc["71000007", "status"]
    assert "jupiter" in rows.loc["71000001", "transcript"].lower()
    # a permanent refusal is not retried, and the UI sees the reason but no query string
    failure = next(e for e in results["71000002"].all_events if e.is_step_failure)
    assert "refused: 127.0.0.1 resolves to a loopback address" in failure.step_failure_data.error.message
    assert not [e for e in results["71000002"].all_events if e.is_step_up_for_retry]
    metadata = " ".join(str(m.metadata) for m in results["71000001"].asset_materializations_for_node("episode_audio"))
    assert "s3cret" not in metadata and "?…" in metadata
    # a partition key that would climb out of the data dir is refused before it names anything
    assert not traversal.success and "../../outside" not in set(rows.index)
    message = next(e for e in traversal.all_events if e.is_step_failure).step_failure_data.error.message
    assert "refused: partition key '../../outside' is not an episode id" in message
    assert not list(Path(settings.PODCAST_DATA_DIR).parent.rglob("outside*"))
