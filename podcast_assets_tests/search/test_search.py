"""Search on the sample catalog's real transcripts: ``transcript_passages`` cuts and embeds them, and
``podcast-assets search`` finds a moment several minutes into a long episode from a paraphrase, and a topic
of the short episodes; a transcript made again replaces its passages; an empty data dir says so."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from podcast_assets.search.assets import transcript_passages
from podcast_assets.search.checks import passages_cover_every_transcript
from podcast_assets.transcripts.outcomes import TRANSCRIPT_SCHEMA
from podcast_assets_tests.helpers import catalog, env_for, resources_for, topic_of

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def searchable(transcribed, tmp_path_factory):
    ingested, *_ = transcribed
    root = tmp_path_factory.mktemp("search")
    shutil.copytree(ingested.data_dir, root / "data")  # passages are written to a copy of the session's data
    settings = ingested.replace(PODCAST_DATA_DIR=str(root / "data"))
    shutil.rmtree(settings.delta_path("transcript_passages"), ignore_errors=True)  # made here, from nothing
    result = dg.materialize([transcript_passages, passages_cover_every_transcript], resources=resources_for(settings))
    return settings, result


def search(settings, *args) -> dict:
    out = subprocess.run([str(BIN / "podcast-assets"), "search", *args, "--json"], env=env_for(settings),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def said_at(settings, episode_id: str, phrase: str) -> float:
    """Where the transcript says ``phrase``: the start of the segment that holds it."""
    stem = DeltaTable(settings.delta_path("transcripts")).to_pandas().set_index("episode_id").loc[episode_id, "file_stem"]
    segments = json.loads((settings.data_dir / "transcripts" / f"{stem}.json").read_text())["segments"]
    return next(s["start"] for s in segments if phrase in s["text"].lower())


def long_episode(title: str) -> str:
    return next(str(e["id"]) for e in catalog()["episodes"] if e["feedTitle"] == title)


def test_every_transcript_becomes_passages_along_its_segment_times(searchable):
    settings, result = searchable
    passages = DeltaTable(settings.delta_path("transcript_passages")).to_pandas()
    transcripts = DeltaTable(settings.delta_path("transcripts")).to_pandas()
    assert set(passages["episode_id"]) == set(transcripts.query("status == 'transcribed'")["episode_id"])
    assert result.asset_materializations_for_node("transcript_passages")[0].metadata["passages"].value == len(passages)
    [check] = result.get_asset_check_evaluations()  # the real passages hold their contract
    assert check.passed, check.description
    assert check.metadata["new_passages"].value == len(passages)
    assert check.metadata["transcribed"].value == passages["episode_id"].nunique()
    for _, p in passages.groupby("episode_id"):
        p = p.sort_values("start")
        assert (p["end"] - p["start"]).max() <= 60.5 and (p["passage"] == range(len(p))).all()
        assert p["start"].is_monotonic_increasing and p["end"].is_monotonic_increasing and p["start"].is_unique
    # the long episode: passages of up to a minute, stepping through all of its 10.8 minutes
    long = passages[passages["episode_id"] == long_episode("The Long Night")].sort_values("start")
    assert 15 <= len(long) <= 30 and long["end"].max() > 600 and (long["start"].diff().dropna() <= 60).all()


@pytest.mark.parametrize("title, query, phrase", [
    # each query paraphrases a listener's question; the phrase is where the episode asks it
    ("The Long Night", "why are some stars bluish while others glow reddish", "others look orange"),
    ("Sunday Long Table", "how do I get roast potatoes crunchy rather than soft", "are always soft"),
])
def test_a_paraphrase_finds_the_moment_in_a_long_episode(searchable, title, query, phrase):
    settings, _ = searchable
    found = search(settings, query, "-k", "5")
    top, episode = found["results"][0], long_episode(title)
    assert top["episode_id"] == episode, found["results"]
    at = said_at(settings, episode, phrase)
    # minutes in: the passage where it is asked is among the hits (k=5), and the first hit's moment
    # shown (its best sentence's segment) within a minute of it: the question, or the answer right after it
    # (with more words recovered elsewhere in the episode, the answer's passage can come first)
    hits = [r for r in found["results"] if r["episode_id"] == episode]
    assert at > 180 and any(r["start"] - 1 <= at < r["end"] for r in hits), ([(r["start"], r["end"], r["episode_id"]) for r in found["results"]], at)
    assert abs(top["start"] - at) <= 60 and abs(top["said_at"] - at) <= 60, (top, at)
    assert top["start"] <= top["said_at"] < top["end"] and top["show"] == title and top["at"].count(":") == 1
    assert found["query_ms"] < 1000 and found["passages"] > 40


def test_a_topic_of_the_short_episodes_finds_an_episode_on_it_and_one_episode_can_be_searched_alone(searchable):
    settings, _ = searchable
    found = search(settings, "planning household spending each month and putting money aside")
    assert topic_of()[found["results"][0]["episode_id"]] == "finance", found["results"][:3]
    episode = long_episode("Sunday Long Table")
    within = search(settings, "sourdough starter", "--episode", episode, "-k", "3")["results"]
    assert len(within) == 3 and {r["episode_id"] for r in within} == {episode}
    assert "starter" in within[0]["text"].lower()


def test_a_transcript_made_again_replaces_its_passages_and_a_lost_one_loses_them(searchable, tmp_path):
    settings, _ = searchable
    own = settings.replace(PODCAST_DATA_DIR=str(tmp_path / "data"))
    shutil.copytree(settings.data_dir, own.data_dir)
    uri = own.delta_path("transcripts")
    rows = DeltaTable(uri).to_pandas()
    done = rows[rows["status"] == "transcribed"]["episode_id"].tolist()
    again, lost = done[0], done[1]
    rows.loc[rows["episode_id"] == again, "created_at"] = pd.Timestamp.now(tz="UTC")
    rows.loc[rows["episode_id"] == lost, "status"] = "failed: the feed removed it"
    write_deltalake(uri, pa.Table.from_pandas(rows, TRANSCRIPT_SCHEMA, preserve_index=False), mode="overwrite")
    before = DeltaTable(own.delta_path("transcript_passages")).to_pandas()
    result = dg.materialize([transcript_passages], resources=resources_for(own))
    metadata = result.asset_materializations_for_node("transcript_passages")[0].metadata
    assert metadata["episodes"].value == 1 and metadata["episodes_removed"].value == 1
    after = DeltaTable(own.delta_path("transcript_passages")).to_pandas()
    assert lost not in set(after["episode_id"])
    redone, old = after[after["episode_id"] == again], before[before["episode_id"] == again]
    assert len(redone) == len(old) and (redone["created_at"] > old["created_at"].max()).all()
    others = set(done) - {again, lost}
    assert len(after[after["episode_id"].isin(others)]) == len(before[before["episode_id"].isin(others)])
    # passages that went missing (as a lost automation update once left them) are named by the check
    missing = sorted(others)[0]
    DeltaTable(own.delta_path("transcript_passages")).delete(f"episode_id = '{missing}'")
    [check] = dg.materialize([transcript_passages, passages_cover_every_transcript], resources=resources_for(own),
                             selection=dg.AssetSelection.checks(passages_cover_every_transcript)).get_asset_check_evaluations()
    assert not check.passed and f"episode {missing}: transcribed but without passages" in check.metadata["examples"].value


def test_an_empty_data_dir_says_there_is_nothing_to_search_yet(settings):
    out = subprocess.run([str(BIN / "podcast-assets"), "search", "anything"], env=env_for(settings),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 1 and out.stderr.startswith("nothing to search yet: no transcript passages")


def test_hybrid_recalls_at_least_what_keyword_and_vector_search_each_recall_on_both_kinds_of_query(searchable):
    """The query set of bench/search_quality.py on the real transcripts: at 3, hybrid (RRF of BM25 and vectors)
    recalls at least what either alone recalls, on names, numbers and rare words and on paraphrases."""
    from podcast_assets.search.evaluation import misses, recall_table, relevant_moments
    from podcast_assets.search.index import vectors
    from podcast_assets.search.keywords import KeywordIndex

    settings, _ = searchable
    resources = resources_for(settings)
    embedder = resources["embedder"]
    table = DeltaTable(settings.delta_path("transcript_passages")).to_pyarrow_table(
        columns=["episode_id", "passage", "start", "end", "text", "embedding"])
    passages, matrix = table.drop_columns(["embedding"]).to_pylist(), vectors(table["embedding"])
    t = DeltaTable(settings.delta_path("transcripts")).to_pandas().query("status == 'transcribed'")
    episodes = {r.podcast_title: (r.episode_id, json.loads((settings.data_dir / "transcripts" / f"{r.file_stem}.json")
                                                           .read_text())["segments"]) for r in t.itertuples()}
    queries = relevant_moments(json.loads((Path(__file__).parents[2] / "bench" / "data" / "search-queries.json")
                                          .read_text())["queries"], episodes)
    embedded = embedder.embedder().embed([q["query"] for q in queries])
    keywords = KeywordIndex.build([p["text"] for p in passages])
    recall = recall_table(queries, embedded, matrix, keywords, passages, 3)
    for kind in ("exact", "paraphrase"):
        for alone in ("keyword", "vector"):
            assert recall["hybrid"][kind][0] >= recall[alone][kind][0], (
                kind, alone, recall, misses(queries, embedded, matrix, keywords, passages, "hybrid"))
    # the sample catalog is small (about 50 passages): at 3 the vectors alone find every moment. At 1 the kinds
    # part: keywords put the exact words first that the vectors blur, vectors the paraphrases keywords miss
    first = recall_table(queries, embedded, matrix, keywords, passages, 1)
    assert first["keyword"]["exact"][0] > first["vector"]["exact"][0], first
    # (paraphrases: vectors at least level with keywords; the transcripts differ slightly from run to run, and
    # one run here tied them at 8 of 11)
    assert first["vector"]["paraphrase"][0] >= first["keyword"]["paraphrase"][0], first
    assert first["hybrid"]["exact"][0] > first["vector"]["exact"][0], first


def test_the_keyword_index_asset_is_what_search_reads_while_the_passages_are_unchanged(searchable, tmp_path):
    from podcast_assets.search.assets import passage_keyword_index

    settings, _ = searchable
    result = dg.materialize([passage_keyword_index], resources=resources_for(settings))
    meta = result.asset_materializations_for_node("passage_keyword_index")[0].metadata
    passages = DeltaTable(settings.delta_path("transcript_passages"))
    assert meta["passages"].value == len(passages.to_pandas()) and meta["passages_version"].value == passages.version()
    found = search(settings, "Rigel", "--mode", "keyword", "-k", "3")
    assert found["keyword_index"] == f"saved (passages version {passages.version()})"
    top = found["results"][0]
    assert top["episode_id"] == long_episode("The Long Night") and top["matched"] == ["rigel"], found["results"]
    assert all(r["matched"] for r in found["results"])  # keyword hits hold a query word, and say which
