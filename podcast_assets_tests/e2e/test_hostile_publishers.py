"""Hostile publishers beside honest ones, through the bare daemon (nobody clicks): one feed mixes honest items with
a multi-megabyte description, chapters nested 100,000 deep, a transcript with NaN and negative times and an item
over the broker's message limit; another rotates its guids and enclosure paths on every read; a private feed
carries tokens in its path, its query and its enclosures (one untitled, so named by its file: a token too); the OPML
list comes back empty. Each bad thing costs only
itself, and the tokens are found nowhere the product writes or answers."""

import json
import subprocess
import time
from pathlib import Path

import pyarrow as pa
import pytest
import requests
from deltalake import DeltaTable
from pymongo import MongoClient

from podcast_assets.ingest.feed_items import feed_id
from podcast_assets.ingest.identity import feed_episode_id
from podcast_assets.ingest.private import item_hash
from podcast_assets.resources.kafka import KafkaResource
from podcast_assets_tests.conftest import free_port
from podcast_assets_tests.e2e.conftest import BIN
from podcast_assets_tests.e2e.publishers import Publishers
from podcast_assets_tests.e2e.test_end_to_end import dagster, runs_since, wait_until
from podcast_assets_tests.helpers import stop_process_group

pytestmark = pytest.mark.daemon

HONEST = {"hh-honest-0001": "h1", "hh-long-description-0002": "h2", "hh-deep-chapters-0003": "h3",
          "hh-nan-transcript-0004": "h4"}
PRIVATE = {"pp-private-0001": "p1", "pp-private-0002": "p2", "pp-private-0003": "p3"}  # p3 untitled
REFUSED = feed_episode_id("hh-refused-by-kafka-0005", "")


def ids() -> dict[str, str]:
    found = {name: feed_episode_id(guid, "") for guid, name in HONEST.items()}
    return found | {name: feed_episode_id(f"private:{item_hash(guid)}", "") for guid, name in PRIVATE.items()}


def table(s, name: str):
    path = s.delta_path(name)
    return DeltaTable(path).to_pandas() if DeltaTable.is_deltatable(path) else None


def statuses(s) -> dict[str, str]:
    t = table(s, "transcripts")
    return {} if t is None else dict(zip(t["episode_id"], t["status"]))


def test_hostile_publishers_cost_only_themselves_and_a_private_feed_stays_private(project, tmp_path):
    s, env, root, *_ = project
    home, started = root / "dagster_home", time.time()
    pubs = Publishers(when=int(time.time()) - 3600)
    env = {**{k: v for k, v in env.items() if k != "MONGO_TIMEOUT_MS"}, "FEEDS": pubs.private_feed,
           "FEEDS_OPML": pubs.url("/list.opml"), "FEED_POLL_SECONDS": "15", "FEED_BACKLOG": "5",
           "FEED_NEW_PER_DAY": "2", "KAFKA_MAX_MESSAGE_BYTES": "30000", "SERVE_REFRESH_SECONDS": "1",
           "AUDIO_ALLOWED_HOSTS": f"{s.podcast_index_url.split('/')[2]},{pubs.host}"}
    outputs: dict[str, str] = {}
    followed = dagster(env, root, "asset", "materialize", "-m", "podcast_assets.definitions", "--select", "feeds")
    outputs["feeds run"] = followed.stdout + followed.stderr
    assert followed.returncode == 0, outputs["feeds run"][-3000:]
    listed = table(s, "feeds")
    assert sorted(listed["source"]) == ["FEEDS", "OPML", "OPML"] and listed["private"].sum() == 1, listed
    logs = {name: tmp_path / f"{name}.log" for name in ("daemon", "serve")}
    daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-m", "podcast_assets.definitions"], env=env,
                              cwd=root, stdout=open(logs["daemon"], "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    port = free_port()
    serve = subprocess.Popen([str(BIN / "podcast-assets"), "serve", "--port", str(port)], env=env, cwd=root,
                             stdout=open(logs["serve"], "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    want = ids()

    def explain() -> str:
        return f"statuses {({n: statuses(s).get(e) for n, e in want.items()})}; runs:\n" + runs_since(home, started)

    try:
        # the honest items and the playable hostile ones (in the same feed, so in the same runs) are transcribed
        wait_until("the transcripts", lambda: all(statuses(s).get(e) == "transcribed" for e in want.values()), 600, explain)
        # ... and reach their neighbours in MongoDB, through the automation conditions
        with MongoClient(s.MONGO_URI) as client:
            wait_until("the neighbours", lambda: {p["new_episode_id"] for p in client.podcasts.similarities.find(
                {"new_episode_id": {"$in": list(want.values())}})} == set(want.values()), 420, explain)
            catalog = {d["episode_id"]: d for d in client.podcasts.episodes.find({}, {"_id": 0})}
        # the item over the broker's limit cost only itself, and says why in one line, where the UI shows it
        assert REFUSED not in catalog and REFUSED not in statuses(s)
        polls = table(s, "feed_polls")
        note = polls[polls["feed_url"] == pubs.url("/honest.xml")]["note"].iloc[0]
        assert f"episode {REFUSED} refused by Kafka" in note and "\n" not in note, note
        # every text is within its cap, and says it was cut
        long_one = catalog[want["h2"]]["description"]
        assert len(long_one) == 20_000 and long_one.endswith("characters in all]"), long_one[-80:]

        # the rotating feed: its first read, then its daily cap, however often it rotates
        wait_until("the rotating feed's later reads", lambda: pubs.rotations >= 8, 240, explain)
        rotating = table(s, "feed_episodes").query(f"podcast_id == '{feed_id(pubs.url('/rotating.xml'))}'")
        items = table(s, "feed_items").query(f"feed_url == '{pubs.url('/rotating.xml')}'")
        assert len(rotating) == 4 and len(items) == 4, (len(rotating), len(items), pubs.rotations)

        # the publisher's bad files were dropped for their episode only, with a line each
        api = f"http://127.0.0.1:{port}"
        wait_until("the API", lambda: _get(f"{api}/health") is not None, 120, lambda: logs["serve"].read_text()[-2000:])
        answers = {path: _get(api + path) for path in (
            "/health", "/openapi.json", "/search?q=bread&k=20", "/search?q=budget&k=20&mode=keyword",
            *(f"/episodes/{e}/{what}" for e in want.values() for what in ("transcript", "similar", "audio")))}
        assert answers[f"/episodes/{want['h3']}/transcript"]["chapters"] == []
        assert answers[f"/episodes/{want['h4']}/transcript"]["source"] == "whisper"
        assert [c["title"] for c in answers[f"/episodes/{want['p2']}/transcript"]["chapters"]] == ["Opening", "The budget"]
        assert "private feed" in answers[f"/episodes/{want['p1']}/audio"]["detail"]
        assert answers[f"/episodes/{want['h1']}/audio"] == {"redirect": pubs.url("/audio/h1.mp3")}

        # an OPML answer that comes back empty keeps the feeds it listed, and says so
        pubs.opml_empty = True
        again = dagster(env, root, "asset", "materialize", "-m", "podcast_assets.definitions", "--select", "feeds")
        outputs["feeds run, empty OPML"] = again.stdout + again.stderr
        assert again.returncode == 0 and "the OPML answer is empty; keeping the 2 feeds it listed before" in \
            outputs["feeds run, empty OPML"], outputs["feeds run, empty OPML"][-3000:]
        assert len(table(s, "feeds")) == 3
    finally:
        stop_process_group(serve)
        stop_process_group(daemon)
        pubs.close()
    assert ("private", 200) in pubs.requests and ("media", 200) in pubs.requests  # it was read, with its tokens

    # one scan for the tokens and for a control that must be found (the public feed's host), so the scan cannot
    # pass by looking nowhere
    control = pubs.url("/audio/h1.mp3")
    hits = token_hits([*pubs.tokens.values(), control], s, home, logs, outputs, answers)
    seen = {where for where, found in hits.items() if any(control in f for f in found)}
    assert {"instance", "delta", "mongodb", "kafka", "api"} <= seen, seen
    leaks = {where: [f for f in found if control not in f] for where, found in hits.items()}
    counted = {where: len(found) for where, found in leaks.items()}
    assert not any(leaks.values()), f"the private feed's tokens were found: {counted}; {leaks}"


def _get(url: str):
    try:
        r = requests.get(url, timeout=10, allow_redirects=False)
    except requests.RequestException:
        return None
    return {"redirect": r.headers["location"]} if r.status_code == 307 else r.json()


def token_hits(tokens, s, home: Path, logs: dict, outputs: dict, answers: dict) -> dict[str, list[str]]:
    """Where any token shows: the instance's files (run and event storage, compute logs), the daemon's and the
    server's output, every string column of every Delta table, every MongoDB document, every Kafka message and
    every API answer; and, beside those, every file of the data dir a person could open (not Parquet)."""
    tokens = list(tokens)
    found: dict[str, list[str]] = {}

    def look(where: str, text: str) -> None:
        found.setdefault(where.split(":")[0], [])
        found[where.split(":")[0]] += [f"{where}: {t}" for t in tokens if t in text]

    for path in home.rglob("*"):
        if path.is_file():
            look(f"instance:{path.relative_to(home)}", path.read_bytes().decode("latin-1"))
    for name, path in logs.items():
        look(f"{name} output", path.read_text(errors="replace"))
    for name, text in outputs.items():
        look(f"cli:{name}", text)
    for log in sorted(s.delta_dir.glob("*/_delta_log")):
        data = DeltaTable(str(log.parent)).to_pyarrow_table()
        strings = [c for c, f in zip(data.column_names, data.schema) if pa.types.is_string(f.type)
                   or pa.types.is_large_string(f.type) or pa.types.is_string_view(f.type)]
        look(f"delta:{log.parent.name}", "\n".join(str(v) for c in strings for v in data[c].to_pylist()))
    with MongoClient(s.MONGO_URI) as client:
        for db in client.list_database_names():
            for name in client[db].list_collection_names():
                look(f"mongodb:{db}.{name}", json.dumps(list(client[db][name].find()), default=str))
    kafka = KafkaResource(bootstrap_servers=s.KAFKA_BOOTSTRAP_SERVERS)
    for topic in kafka.admin().list_topics(timeout=10).topics:
        ends = kafka.end_offsets(topic)
        records = kafka.read_range(topic, {p: (0, e) for p, e in ends.items() if e})
        look(f"kafka:{topic}", "\n".join((r.value or b"").decode("utf-8", "replace") for r in records))
    for path, answer in answers.items():
        look(f"api:{path}", json.dumps(answer))
    for path in Path(s.PODCAST_DATA_DIR).rglob("*"):
        if path.is_file() and path.suffix != ".parquet" and path.stat().st_size < 50_000_000:
            look(f"data dir:{path.name}", path.read_bytes().decode("latin-1"))
    return found
