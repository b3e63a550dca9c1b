"""Search quality on the sample catalog's transcripts: recall@3 of keyword (BM25), vector and hybrid search.

The query set (``bench/data/search-queries.json``) has two kinds: ``exact`` (names, numbers and rare words a
listener remembers) and ``paraphrase`` (the moment asked about in other words). A hit counts when its passage
spans the moment the transcript says the answer (``search/evaluation.py``). Nothing here is tuned: RRF's
constant is the paper's, and the queries were written from the scripts before any ranking was run.
Needs a data dir with transcripts and passages (``podcast-assets demo`` makes one).
Run: ``.venv/bin/python bench/search_quality.py [--data-dir ./data] [-k 3] [--show-misses]``.
"""

import argparse
import json
from pathlib import Path

from podcast_assets.resources.factory import resources_outside_runs
from podcast_assets.search.evaluation import misses, recall_table, relevant_moments
from podcast_assets.search.fusion import MODES
from podcast_assets.search.index import vectors
from podcast_assets.search.keywords import KeywordIndex
from podcast_assets.settings import settings_from_env

QUERIES = Path(__file__).parent / "data" / "search-queries.json"


def load(settings, delta, model: str):
    """The passages (rows and matrix) of ``model``, and each show's transcribed episode with its segments."""
    table = delta.arrow("transcript_passages", ["episode_id", "passage", "start", "end", "text", "embedding"],
                        [("model", "=", model)])
    passages = table.drop_columns(["embedding"]).to_pylist()
    t = delta.pandas("transcripts", ["episode_id", "podcast_title", "status", "file_stem"])
    episodes = {}
    for r in t[t["status"] == "transcribed"].drop_duplicates("episode_id", keep="last").itertuples():
        path = settings.data_dir / "transcripts" / f"{r.file_stem}.json"
        episodes[r.podcast_title] = (r.episode_id, json.loads(path.read_text())["segments"])
    return passages, vectors(table["embedding"]), episodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="default: PODCAST_DATA_DIR")
    parser.add_argument("-k", type=int, default=3)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    settings = settings_from_env(**({"PODCAST_DATA_DIR": args.data_dir} if args.data_dir else {}))
    resources = resources_outside_runs(settings, "delta", "embedder")
    embedder = resources["embedder"]
    passages, matrix, episodes = load(settings, resources["delta"], embedder.model_name)
    queries = relevant_moments(json.loads(QUERIES.read_text())["queries"], episodes)
    embedded = embedder.embedder().embed([q["query"] for q in queries])
    keywords = KeywordIndex.build([p["text"] for p in passages])
    table = recall_table(queries, embedded, matrix, keywords, passages, args.k)
    kinds = sorted({q["kind"] for q in queries})
    print(f"{len(passages)} passages of {len(episodes)} episodes, {len(queries)} queries; recall@{args.k}")
    print("| mode | " + " | ".join(f"{kind} ({table['hybrid'][kind][1]})" for kind in kinds) + " | all |")
    print("|---|" + "---|" * (len(kinds) + 1))
    for mode in ("keyword", "vector", "hybrid"):
        found = [table[mode][kind][0] for kind in kinds]
        cells = [f"{f / table[mode][kind][1]:.2f}" for f, kind in zip(found, kinds)]
        print(f"| {mode} | " + " | ".join(cells) + f" | {sum(found) / len(queries):.2f} |")
    if args.show_misses:
        for mode in MODES:
            for line in misses(queries, embedded, matrix, keywords, passages, mode, args.k):
                print(f"{mode} misses {line}")


if __name__ == "__main__":
    main()
