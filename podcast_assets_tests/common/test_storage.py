"""Storage by URI: the same code on a local folder and on an S3-protocol object store (moto's server on a free
port, spoken to over HTTP by pyarrow and delta-rs as they would speak to S3). The graph's durable files, Delta
tables, exports, model versions and the keyword index, land in the bucket when ``STORAGE_URI`` names it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
import numpy as np
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from podcast_assets.common import storage
from podcast_assets.recommendations import model_store
from podcast_assets.search.keyword_store import load_current, save_version
from podcast_assets.search.keywords import KeywordIndex
from podcast_assets_tests.conftest import free_port


@pytest.fixture(scope="module")
def bucket(tmp_path_factory):
    """An S3 endpoint of the test's own (moto's server, in its own process: delta-rs and pyarrow talk to it over
    HTTP as to S3) with one bucket, and the AWS variables pyarrow and delta-rs read."""
    import boto3

    port = free_port()
    log = tmp_path_factory.mktemp("s3") / "moto.log"
    server = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=log.open("w"), stderr=subprocess.STDOUT)
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "test-key",
           "AWS_SECRET_ACCESS_KEY": "test-secret", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ALLOW_HTTP": "true", "AWS_S3_ALLOW_UNSAFE_RENAME": "true"}  # one writer per table in these tests
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        for _ in range(100):
            try:
                boto3.client("s3").create_bucket(Bucket="podcasts")
                break
            except Exception:  # not listening yet
                time.sleep(0.2)
        yield "s3://podcasts"
    finally:
        server.terminate()
        server.wait(10)
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


@pytest.mark.parametrize("where", ["local", "s3"])
def test_files_models_and_the_keyword_index_by_uri(where, bucket, tmp_path):
    root = str(tmp_path / "store") if where == "local" else f"{bucket}/{uuid.uuid4().hex[:8]}"
    assert storage.names(root) == [] and not storage.exists(storage.join(root, "a.json"))
    storage.write_text(storage.join(root, "t", "a.json"), '{"x": 1}')
    assert storage.read_text(storage.join(root, "t", "a.json")) == '{"x": 1}' and storage.names(root) == ["t"]

    models = storage.join(root, "models", "als")
    abandoned = storage.join(models, "20200101T000000000000-0a0a0a")  # a training killed long ago
    storage.write_text(storage.join(abandoned, "params.json"), "{}")
    made = [model_store.save_version(models, {"f": np.full(3, i)}, {"metrics": {"ok": i == 0}}) for i in range(3)]
    running, unfinished = model_store.begin_version(models)  # one still being written (by another process)
    storage.write_text(storage.join(unfinished, "params.json"), "{}")
    newest = model_store.save_version(models, {"f": np.full(3, 9)}, {"metrics": {}})
    assert model_store.versions(models) == [*made, newest] and model_store.latest_version(models) == newest
    assert model_store.load_version(models)[1]["f"].tolist() == [9.0, 9.0, 9.0]
    assert model_store.newest_version_where(models, lambda m: m.get("ok")) == made[0]
    assert model_store.prune(models, 1, {made[0]}) == made[1:]
    assert set(storage.names(models)) == {"LATEST", made[0], running, newest}  # the abandoned folder went too

    texts = ["roasting coffee at home", "the night sky in winter", "coffee beans and espresso"]
    keys = pa.table({"episode_id": ["1", "2", "3"], "passage": [0, 0, 0]})
    keywords = storage.join(root, "search", "keywords")
    save_version(keywords, KeywordIndex.build(texts), keys, 7, "m")
    index = load_current(keywords, 7, "m", keys)
    assert index is not None and index.top("espresso coffee", 2)[0].tolist()[0] == 2


@pytest.mark.slow
def test_the_graph_writes_its_durable_files_to_object_storage(bucket, stack, tmp_path):
    """Ingest, one episode transcribed (its audio fetched into the data dir, its files and rows in the bucket), its
    passages and keyword index, listener events, engagement, the model and its published lists, with
    ``STORAGE_URI`` on S3: every Delta table, transcript file, export, index and model version is an object in the
    bucket; the data dir keeps none of them."""
    from podcast_assets.events.assets import daily_engagement, user_events, user_events_raw
    from podcast_assets.ingest.assets import episode_catalog, episodes, trending_podcasts
    from podcast_assets.recommendations.assets import als_model, user_recommendations
    from podcast_assets.search.assets import passage_keyword_index, transcript_passages
    from podcast_assets.transcripts.assets import episode_audio, transcripts
    from podcast_assets_tests.conftest import own_topics
    from podcast_assets_tests.helpers import control, resources_for

    prefix = f"{bucket}/{uuid.uuid4().hex[:8]}"
    settings = own_topics(stack.settings.replace(PODCAST_DATA_DIR=str(tmp_path / "data"), STORAGE_URI=prefix,
                                                 MONGO_RECS_DB=f"recs_{uuid.uuid4().hex[:6]}"))
    control(settings, reset=True)
    resources = resources_for(settings)
    assert dg.materialize([trending_podcasts, episodes, episode_catalog], resources=resources).success
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("episodes", ["41000001"])
    assert dg.materialize([episode_audio, transcripts], partition_key="41000001", instance=instance,
                          resources=resources).success
    assert dg.materialize([transcript_passages, passage_keyword_index], resources=resources).success
    assert dg.materialize([user_events], resources=resources, run_config={"ops": {"user_events": {"config": {
        "num_users": 30, "events_per_user": 25, "batch_seed": 5, "malformed_share": 0.0}}}}).success
    raw = dg.materialize([user_events_raw], resources=resources)
    for day in raw.asset_materializations_for_node("user_events_raw")[0].metadata["days_touched"].value.split(","):
        assert dg.materialize([daily_engagement], resources=resources, partition_key=day).success
    result = dg.materialize([als_model, user_recommendations], resources=resources)
    assert result.success

    tables = set(storage.names(f"{prefix}/delta"))
    assert {"trending_podcasts", "episodes", "transcripts", "transcript_passages", "user_events_raw",
            "daily_engagement"} <= tables
    [row] = DeltaTable(f"{prefix}/delta/transcripts").to_pandas().to_dict("records")
    assert row["status"] == "transcribed" and "jupiter" in row["transcript"].lower()
    assert {f"{row['file_stem']}.{kind}" for kind in ("json", "vtt", "podcast.json")} == set(
        storage.names(f"{prefix}/transcripts"))
    assert len(DeltaTable(f"{prefix}/delta/transcript_passages").to_pandas()) >= 1
    assert storage.read_text(f"{prefix}/search/keywords/current.json")
    assert len(DeltaTable(f"{prefix}/delta/daily_engagement").to_pandas()) > 0
    assert storage.is_file(f"{prefix}/episodes.json")
    version = result.asset_materializations_for_node("als_model")[0].metadata["model_version"].value
    assert model_store.versions(f"{prefix}/models/als") == [version]
    assert result.asset_materializations_for_node("user_recommendations")[0].metadata["mongo_status"].value == "mongo"
    # the data dir holds this process's own files only (the models' local cache, the audio's scratch)
    local = [p.relative_to(tmp_path / "data").as_posix() for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert not [p for p in local if p.startswith(("delta/", "models/als", "transcripts/", "search/", "episodes"))]
