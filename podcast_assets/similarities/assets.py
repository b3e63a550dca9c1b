"""Content similarity: transcript embeddings to Delta, top-K neighbours to MongoDB (Delta fallback)."""

import datetime as dt

import dagster as dg
import numpy as np
import pandas as pd
import pyarrow as pa
from deltalake import write_deltalake

from podcast_assets.common.delta_writes import update
from podcast_assets.common.ids import sql_list
from podcast_assets.common.previews import markdown_preview
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.embedder import EmbedderResource
from podcast_assets.resources.engines import KnnEngine
from podcast_assets.resources.io_managers import table_schema
from podcast_assets.runs.automation import PARENT_UPDATES
from podcast_assets.similarities.embedding import from_passages
from podcast_assets.similarities.neighbours import neighbour_rows, split_new_and_history

VECTOR_SCHEMA = pa.schema([("episode_id", pa.string()), ("date", pa.string()), ("embedding", pa.list_(pa.float32())),
                           ("model", pa.string()), ("created_at", pa.timestamp("us", "UTC")), ("batch_id", pa.string())])


# every new transcript: its partition updated is enough (other episodes' partitions may be missing,
# failed or still being transcribed; each is embedded when it lands), and none is lost to a run that
# was ending as it landed (runs/automation.py)
NEW_TRANSCRIPTS = PARENT_UPDATES.with_label("any transcript updated since the last request")
NEW_VECTORS = (PARENT_UPDATES & ~dg.AutomationCondition.any_deps_missing()
               & ~dg.AutomationCondition.any_deps_in_progress()).with_label("new vectors, the embedding run done")
# and once a day whatever came: a quiet day's run finds nothing new and says so, which is what its freshness
# policy (runs/freshness.py) watches: a stalled automation shows, a day without new episodes does not
DAILY = (dg.AutomationCondition.cron_tick_passed("15 3 * * *") & ~dg.AutomationCondition.in_progress()
         & ~dg.AutomationCondition.any_deps_missing()).with_label("daily")


MAX_SWEEPS = 5  # a run looks for newly committed transcripts this many times at most


class EmbeddingConfig(dg.Config):
    recompute_all: bool = False  # embed every transcript again, not only those not yet analysed
    batch_date: str = ""  # "YYYY-MM-DD": only transcripts of that date


@dg.asset(group_name="similarities", deps=["transcript_passages"], kinds={"deltalake", "pytorch"},
          automation_condition=NEW_TRANSCRIPTS)
def episode_embeddings(context: dg.AssetExecutionContext, config: EmbeddingConfig, embedder: EmbedderResource,
                       delta: DeltaTables) -> dg.MaterializeResult:
    """Transcripts not yet analysed, as one unit vector each, appended to Delta ``vectors`` (a row: one episode's
    vector from one model, one per embedding); the transcripts are marked ``analyzed`` only after the vectors
    commit. A vector is its transcript's passage vectors pooled (``transcript_passages``: each transcript is
    embedded once); a transcript whose current passages are not there yet is embedded whole (token windows,
    weighted mean, unit length). Transcripts committed while the run works are taken too (it looks again
    until none is pending)."""
    embedded, dims, sweep, derived_total = 0, 0, config, 0
    for _ in range(MAX_SWEEPS):
        t = delta.pandas("transcripts", ["episode_id", "transcript", "date", "status", "analyzed", "created_at"])
        todo = t[t["status"] == "transcribed"]
        if not sweep.recompute_all:
            todo = todo[~todo["analyzed"].fillna(False).astype(bool)]
        if sweep.batch_date:
            todo = todo[todo["date"] == sweep.batch_date]
        if todo.empty:
            break
        passages = delta.pandas("transcript_passages", ["episode_id", "start", "end", "embedding", "model",
                                                        "transcript_created_at"],
                                filters=[("episode_id", "in", todo["episode_id"].tolist())])
        derived = from_passages(passages[passages["model"] == embedder.model_name], todo) if len(passages) else {}
        whole = todo[~todo["episode_id"].isin(derived)]
        context.log.info(f"{len(todo)} transcripts: {len(todo) - len(whole)} from their passages, {len(whole)} "
                         f"embedded whole with {embedder.model_name}")
        texts = embedder.embedder().embed(whole["transcript"].tolist()) if len(whole) else []
        by_id = {**derived, **dict(zip(whole["episode_id"], texts))}
        vectors = np.stack([by_id[e] for e in todo["episode_id"]])
        derived_total += len(todo) - len(whole)
        now = dt.datetime.now(dt.UTC)
        write_deltalake(delta.uri("vectors"), pa.table({
            "episode_id": todo["episode_id"].tolist(), "date": todo["date"].tolist(),
            "embedding": [v.tolist() for v in vectors], "model": [embedder.model_name] * len(todo),
            "created_at": [now] * len(todo), "batch_id": [context.run_id] * len(todo)}, schema=VECTOR_SCHEMA),
            mode="append")
        ids = sql_list(todo["episode_id"])  # checked ids only: the predicate is built from them
        read_at = pd.Timestamp(todo["created_at"].max()).isoformat()
        # a transcript replaced since we read it keeps analyzed = false and is embedded next time
        update(delta.uri("transcripts"), f"episode_id IN ({ids}) AND created_at <= '{read_at}'",
               {"analyzed": "true", "analyzed_at": f"'{now.isoformat()}'"})
        embedded, dims = embedded + len(todo), int(vectors.shape[1])
        sweep = EmbeddingConfig(batch_date=config.batch_date)  # then only what is still pending
    table = {"dagster/row_count": delta.row_count("vectors"), "dagster/column_schema": table_schema(VECTOR_SCHEMA)}
    if not embedded:
        context.log.info("no transcripts to analyse")
        return dg.MaterializeResult(metadata={"embedded": 0, "batch_id": "", **table})
    return dg.MaterializeResult(metadata={"embedded": embedded, "from_passages": derived_total,
                                          "batch_id": context.run_id,
                                          "dimensions": dims, "model": embedder.model_name, **table})


def _watermark(context: dg.AssetExecutionContext) -> pd.Timestamp | None:
    """``created_at`` of the newest vector the last materialisation compared: every vector after it is new,
    however many embedding runs wrote them since."""
    event = context.instance.get_latest_materialization_event(context.asset_key)
    value = event.asset_materialization.metadata.get("vectors_until") if event and event.asset_materialization else None
    return pd.Timestamp(value.value) if value is not None and value.value else None


class SimilarityConfig(dg.Config):
    """Per-run overrides; empty fields take the KNN engine's deployment defaults."""

    top_k: int | None = None
    recompute_all: bool = False  # every vector against every other, not only the newest batch
    within_batch_if_empty: bool | None = None


@dg.asset(group_name="similarities", deps=[episode_embeddings], io_manager_key="mongo_io_manager",
          kinds={"mongodb", "spark"}, automation_condition=NEW_VECTORS | DAILY, metadata={
              "mongo_collection": "similarities", "mongo_keys": ["new_episode_id", "historical_episode_id", "model"],
              # an episode compared again gets its new top-K instead of it beside the old pairs
              "mongo_replace_by": ["new_episode_id", "model"],
              "mongo_indexes": [[["new_episode_id", 1], ["model", 1], ["cosine_similarity", -1]],
                                [["historical_episode_id", 1], ["model", 1]], [["created_at", 1]]]})
def episode_similarities(context: dg.AssetExecutionContext, config: SimilarityConfig, delta: DeltaTables,
                         knn: KnnEngine, embedder: EmbedderResource) -> pd.DataFrame:
    """Top-K cosine neighbours of the newest vectors among the history of the same model. A document: one
    (episode, neighbour, model) pair with its cosine and rank."""
    model, top_k = embedder.model_name, config.top_k or knn.top_k
    within = knn.within_batch_if_empty if config.within_batch_if_empty is None else config.within_batch_if_empty
    vectors = delta.latest_vectors(model)
    since = _watermark(context)
    new, hist = split_new_and_history(vectors, config.recompute_all, within, since, top_k)
    until = pd.Timestamp(vectors["created_at"].max()).isoformat() if len(vectors) else (since.isoformat() if since else "")
    if new.empty or hist.empty or len(vectors) < 2:
        context.log.info(f"no vectors to compare ({len(new)} new since {since}, {len(vectors)} in all)")
        context.add_output_metadata({"vectors_until": until, "pairs": 0, "top_k": top_k})
        return pd.DataFrame(columns=["new_episode_id", "historical_episode_id", "model"])
    new_ids, hist_ids = new["episode_id"].tolist(), hist["episode_id"].tolist()
    rows, cols, sims = knn.neighbours(new_ids, np.stack(new["embedding"].to_numpy()), hist_ids,
                                      np.stack(hist["embedding"].to_numpy()), top_k)
    out = pd.DataFrame(neighbour_rows(new_ids, hist_ids, rows, cols, sims, top_k, model,
                                      dt.datetime.now(dt.UTC)))
    titles = delta.titles()
    shown = out.assign(new_title=out["new_episode_id"].map(titles), neighbour=out["historical_episode_id"].map(titles))
    context.add_output_metadata({
        "vectors_until": until,  # the next run compares the vectors written after this one
        "pairs": len(out), "new_episodes": len(new), "history": len(hist), "engine": knn.name, "top_k": top_k,
        "mean_top1_cosine": float(out[out["rank"] == 1]["cosine_similarity"].mean()),
        "preview": dg.MetadataValue.md(markdown_preview(shown[shown["rank"] == 1],
                                                        ["new_title", "neighbour", "cosine_similarity"], 20))})
    return out
