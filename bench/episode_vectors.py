"""Episode vectors embedded from the whole transcript (what ``episode_embeddings`` does) against episode vectors
derived from the passage vectors (``transcript_passages``: their mean weighted by each passage's duration,
renormalised), judged as the similarity test judges them: the share of each episode's top 3 neighbours that
share its topic in the sample catalog (precision@3), and the seconds each takes to embed.
Run after the demo (or on any data dir with transcripts and passages of the sample catalog):
``PODCAST_DATA_DIR=... .venv/bin/python bench/episode_vectors.py``.
"""

import json
import time

import numpy as np
from deltalake import DeltaTable

from podcast_assets.local.podcast_index_server import CATALOG_DIR
from podcast_assets.resources.factory import build_resources
from podcast_assets.search.index import vectors
from podcast_assets.search.passages import cut
from podcast_assets.settings import settings_from_env
from podcast_assets.similarities.embedding import pool
from podcast_assets.similarities.knn import topk


def precision_at_3(ids: list[str], matrix: np.ndarray, topic: dict[str, str]) -> float:
    rows, cols, _ = topk(matrix, matrix, 3, ids, ids)
    return float(np.mean([topic[ids[r]] == topic[ids[c]] for r, c in zip(rows, cols)]))


def main() -> None:
    settings = settings_from_env()
    embedder = build_resources(settings)["embedder"].embedder()
    topic = {str(e["id"]): e["topic"] for e in json.loads((CATALOG_DIR / "catalog.json").read_text())["episodes"]}
    t = DeltaTable(settings.delta_path("transcripts")).to_pandas().query("status == 'transcribed'")
    ids = [i for i in t["episode_id"] if i in topic]
    texts = t.set_index("episode_id").loc[ids, "transcript"].tolist()
    embedder.embed(texts[:1])  # warm
    t0 = time.perf_counter()
    whole = embedder.embed(texts)
    whole_s = time.perf_counter() - t0
    stems = t.set_index("episode_id").loc[ids, "file_stem"]
    passages = {i: cut(json.loads((settings.data_dir / "transcripts" / f"{stems[i]}.json").read_text())["segments"])
                for i in ids}
    flat = [p for i in ids for p in passages[i]]
    t0 = time.perf_counter()
    pv = embedder.embed([p.text for p in flat])
    passages_s = time.perf_counter() - t0
    derived, at = [], 0
    for i in ids:  # as episode_embeddings pools them (similarities/embedding.from_passages)
        n = len(passages[i])
        derived.append(pool(pv[at:at + n], [p.end - p.start for p in passages[i]]))
        at += n
    stored = DeltaTable(settings.delta_path("transcript_passages")).to_pyarrow_table(columns=["embedding"])
    assert len(vectors(stored["embedding"])) >= len(flat) - 5  # the same passages the asset stores, near enough
    print(f"{len(ids)} episodes, {len(flat)} passages")
    print(f"  whole transcript: precision@3 {precision_at_3(ids, whole, topic):.3f}, embedded in {whole_s:.2f} s")
    print(f"  from passages:    precision@3 {precision_at_3(ids, np.stack(derived), topic):.3f}, "
          f"passages embedded in {passages_s:.2f} s")


if __name__ == "__main__":
    main()
