"""Passages of every transcript, embedded for search, and their keyword index (``podcast-assets search``)."""

import datetime as dt
import json

import dagster as dg
import pandas as pd
import pyarrow as pa

from podcast_assets.common import storage
from podcast_assets.common.delta_writes import replace_rows
from podcast_assets.common.previews import markdown_preview
from podcast_assets.resources.delta import DataDir, DeltaTables
from podcast_assets.resources.embedder import EmbedderResource
from podcast_assets.resources.io_managers import table_schema
from podcast_assets.runs.automation import PARENT_UPDATES
from podcast_assets.search.keyword_store import save_version
from podcast_assets.search.keywords import KeywordIndex
from podcast_assets.search.passages import cut, mmss, pending

PASSAGE_SCHEMA = pa.schema([
    ("episode_id", pa.string()), ("passage", pa.int32()), ("start", pa.float64()), ("end", pa.float64()),
    ("text", pa.string()), ("segment_starts", pa.list_(pa.float64())), ("segment_offsets", pa.list_(pa.int32())),
    ("embedding", pa.list_(pa.float32())), ("model", pa.string()),
    ("transcript_created_at", pa.timestamp("us", "UTC")), ("created_at", pa.timestamp("us", "UTC")),
])


@dg.asset(group_name="search", deps=["transcripts"], kinds={"deltalake", "pytorch"},
          automation_condition=PARENT_UPDATES.with_label("any transcript updated since the last request"))
def transcript_passages(context: dg.AssetExecutionContext, embedder: EmbedderResource, delta: DeltaTables,
                        files: DataDir) -> dg.MaterializeResult:
    """Each transcript cut into passages along its segment times (about 30-60 s of speech, a segment never
    split), embedded with the episode vectors' model and token-window pooling. A row: one passage of one
    episode. New transcripts add theirs; a transcript made again replaces its episode's passages."""
    transcripts = delta.pandas("transcripts", ["episode_id", "status", "file_stem", "created_at", "transcript",
                                               "duration"])
    passages = delta.pandas("transcript_passages", ["episode_id", "model", "transcript_created_at"])
    todo, gone = pending(transcripts, passages, embedder.model_name)
    rows = []
    by_id = transcripts.set_index("episode_id")
    for episode_id in todo:
        path = files.artefacts("transcripts", f"{by_id.loc[episode_id, 'file_stem']}.json")
        segments = json.loads(storage.read_text(path))["segments"] if storage.is_file(path) else []
        passages_of = cut(segments)
        if not passages_of:  # no timings (a file lost, a publisher transcript without them): one passage
            context.log.warning(f"episode {episode_id}: no timed segments in {path.rsplit('/', 1)[-1]}; its transcript is one "
                                "passage from 0:00")
            passages_of = cut([{"start": 0.0, "end": float(by_id.loc[episode_id, "duration"] or 0.0),
                                "text": str(by_id.loc[episode_id, "transcript"] or "")}])
        for i, p in enumerate(passages_of):
            rows.append({"episode_id": episode_id, "passage": i, "start": p.start, "end": p.end, "text": p.text,
                         "segment_starts": list(p.segment_starts), "segment_offsets": list(p.segment_offsets),
                         "transcript_created_at": by_id.loc[episode_id, "created_at"]})
    if rows:
        context.log.info(f"embedding {len(rows)} passages of {len(todo)} episodes with {embedder.model_name}")
        vectors = embedder.embedder().embed([r["text"] for r in rows])
        now = dt.datetime.now(dt.UTC)
        for r, v in zip(rows, vectors):
            r.update(embedding=v.tolist(), model=embedder.model_name, created_at=now)
    if todo or gone:
        replace_rows(delta.uri("transcript_passages"), pa.Table.from_pylist(rows, PASSAGE_SCHEMA), "episode_id",
                     todo + gone)
    shown = pd.DataFrame(rows[:20], columns=["episode_id", "start", "text"])
    return dg.MaterializeResult(metadata={
        "episodes": len(todo), "passages": len(rows), "episodes_removed": len(gone),
        "mean_passage_sec": round(sum(r["end"] - r["start"] for r in rows) / len(rows), 1) if rows else 0.0,
        "dagster/row_count": delta.row_count("transcript_passages"),
        "dagster/column_schema": table_schema(PASSAGE_SCHEMA),
        "preview": dg.MetadataValue.md(markdown_preview(
            shown.assign(start=shown["start"].map(mmss), text=shown["text"].str.slice(0, 120))))})


@dg.asset(group_name="search", deps=[transcript_passages], kinds={"python"},
          automation_condition=PARENT_UPDATES.with_label("the passages changed since the last request"))
def passage_keyword_index(context: dg.AssetExecutionContext, embedder: EmbedderResource, delta: DeltaTables,
                          files: DataDir) -> dg.MaterializeResult:
    """BM25 over every passage's words (``search/keywords.py``), for names, numbers and rare words the vectors
    blur; hybrid search fuses it with the vector ranking. Built whole from one version of the passages table
    and saved under ``search/keywords/v<version>``; the search reads it only while that version is current."""
    table = delta.table("transcript_passages")
    version = table.version() if table is not None else -1
    rows = delta.pandas("transcript_passages", ["episode_id", "passage", "text", "model"])
    rows = rows[rows["model"] == embedder.model_name].reset_index(drop=True)
    started = dt.datetime.now(dt.UTC)
    index = KeywordIndex.build(rows["text"].tolist())
    folder = save_version(files.artefacts("search", "keywords"), index, pa.Table.from_pandas(rows, preserve_index=False),
                          version, embedder.model_name)
    seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    context.log.info(f"keyword index of {len(rows)} passages (table version {version}) built in {seconds:.1f} s")
    return dg.MaterializeResult(metadata={
        "passages": len(rows), "passages_version": version, "vocabulary": len(index.bm25.vocab_dict),
        "build_seconds": round(seconds, 2), "folder": dg.MetadataValue.path(folder)})
