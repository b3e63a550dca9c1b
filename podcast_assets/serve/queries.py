"""The product's answers read where the graph publishes them, shared by the CLI and the HTTP API: an episode's
neighbours (MongoDB, else its vectors in Delta), a user's recommendations (the version the pointer names, else
the popular episodes under the same rules) and an episode's transcript (its JSON file)."""

from __future__ import annotations

import json

from podcast_assets.common import storage
from podcast_assets.ingest.publishing import PUBLISHED_TABLE
from podcast_assets.recommendations.assets import engagement_of, unplayable_episodes
from podcast_assets.recommendations.lists import popularity_rows
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.mongo import UNAVAILABLE, MongoResource
from podcast_assets.similarities.neighbours import merge_directions, neighbours_from_vectors


class Unavailable(Exception):
    """A store the answer needs does not answer: the message says which, without its credentials."""


def neighbours(mongo: MongoResource, delta: DeltaTables, model: str, episode_id: str, k: int) -> dict:
    source = "mongodb"
    try:
        by_score = [("cosine_similarity", -1)]
        as_new = mongo.find(mongo.database, "similarities", {"new_episode_id": episode_id, "model": model},
                            by_score, k)
        as_hist = mongo.find(mongo.database, "similarities", {"historical_episode_id": episode_id, "model": model},
                             by_score, k)
        rows = merge_directions(as_new, as_hist, k)
    except UNAVAILABLE:
        rows = neighbours_from_vectors(delta.latest_vectors(model), episode_id, k)
        source = "delta vectors (MongoDB unreachable)"
    titles = delta.titles()
    for r in rows:
        r["title"] = titles.get(r["episode_id"], "")
    return {"episode_id": episode_id, "title": titles.get(episode_id, ""), "source": source, "neighbours": rows}


def recommendations(mongo: MongoResource, delta: DeltaTables, user_id: str, n: int, hybrid: bool) -> dict:
    """The user's list in the published set; a user the model does not know (not in it) gets the popular
    episodes under the same rules (``recommendations/rules.py``), marked ``strategy: popularity``."""
    collection = "hybrid_top_n" if hybrid else "als_top_n"
    try:
        # the version the pointer names: never a half-written set
        version = mongo.current_version(mongo.recommendations_database, collection)
        rows = [{k: v for k, v in d.items() if k != "_id"} for d in mongo.find(
            mongo.recommendations_database, collection, {"user_id": user_id, "model_version": version},
            [("rank", 1)], n)] if version else []
    except UNAVAILABLE:
        raise Unavailable(f"MongoDB at {mongo.safe_address} is unreachable") from None
    if not rows:  # unknown to the model: the popular episodes, from the tables the lists come from
        rows = [{k: v for k, v in r.items() if k != "_id"} for r in popularity_rows(
            [user_id], engagement_of(delta), unplayable_episodes(delta), n, version or "")]
    titles = delta.titles()
    for r in rows:
        r["title"] = titles.get(r["new_episode_id"], "")
    return {"user_id": user_id, "model_version": version, "recommendations": rows}


def transcript(delta: DeltaTables, transcripts_uri: str, episode_id: str) -> dict | None:
    """The episode's transcript JSON (segments, chapters, language, model), or None if it has none."""
    # filtered here, not by a Delta predicate: the status table's strings are read as string_view
    rows = delta.pandas("transcripts", ["episode_id", "status", "file_stem", "created_at"])
    rows = rows[(rows["episode_id"] == episode_id) & (rows["status"] == "transcribed")].sort_values("created_at")
    if rows.empty:
        return None
    try:
        return json.loads(storage.read_text(storage.join(transcripts_uri, f"{rows['file_stem'].iloc[-1]}.json")))
    except (OSError, ValueError):
        return None


def audio_url(delta: DeltaTables, episode_id: str) -> str | None:
    """Where the episode's audio was published, from ``published_episodes``, the append-only record of every
    episode ever published (trending ones stay after trending moves on); rows written before it held the URL
    are looked up in the episodes and feed tables. A private feed's episode has its reference there."""
    rows = delta.arrow(PUBLISHED_TABLE, filters=[("episode_id", "=", episode_id)])
    if rows is not None and rows.num_rows and "audio_url" in rows.column_names:
        found = [u for u in rows["audio_url"].to_pylist() if u]
        if found:
            return found[-1]
    for table in ("feed_episodes", "episodes"):
        rows = delta.arrow(table, ["episode_id", "audio_url"], [("episode_id", "=", episode_id)])
        if rows is not None and rows.num_rows:
            return rows["audio_url"][-1].as_py()
    return None
