"""The similarity contracts on real tables: clean runs pass, a non-unit vector, a self pair and an episode
left without neighbours fail with what and where."""

import datetime as dt
import shutil

import dagster as dg
import numpy as np
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from pymongo import MongoClient

from podcast_assets.similarities.assets import VECTOR_SCHEMA, episode_embeddings, episode_similarities
from podcast_assets.similarities.checks import neighbour_lists_are_well_formed, new_vectors_are_unit_length
from podcast_assets_tests.helpers import resources_for

CHECKS = [new_vectors_are_unit_length, neighbour_lists_are_well_formed]


def copy_of(analysed, tmp_path):
    """The analysed data in a data dir and a Mongo database of its own, to break at will."""
    settings, _ = analysed
    own = settings.replace(PODCAST_DATA_DIR=str(tmp_path / "data"), MONGO_DB="similarity_checks")
    for table in ("episodes", "transcripts", "vectors"):
        shutil.copytree(settings.delta_path(table), own.delta_path(table))
    with MongoClient(own.MONGO_URI) as client:
        client.drop_database("similarity_checks")
    return own


def evaluations(result) -> dict:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_clean_runs_pass_and_broken_rows_fail(analysed, tmp_path):
    own = copy_of(analysed, tmp_path)
    resources, instance = resources_for(own), dg.DagsterInstance.ephemeral()
    clean = dg.materialize([episode_embeddings, episode_similarities, *CHECKS], resources=resources, instance=instance,
                           run_config={"ops": {"episode_embeddings": {"config": {"recompute_all": True}},
                                               "episode_similarities": {"config": {"recompute_all": True}}}})
    checks = evaluations(clean)
    assert {n: (e.passed, e.metadata["checked"].value) for n, e in checks.items()} == {
        "new_vectors_are_unit_length": (True, 18), "neighbour_lists_are_well_formed": (True, 18 * 5)}, {
        n: (e.description, e.metadata["examples"].value) for n, e in checks.items()}

    # both tables say what they hold: their columns and their size
    vec_meta = clean.asset_materializations_for_node("episode_embeddings")[0].metadata
    pair_meta = clean.asset_materializations_for_node("episode_similarities")[0].metadata
    assert vec_meta["dagster/row_count"].value == len(DeltaTable(own.delta_path("vectors")).to_pandas(columns=["model"]))
    assert pair_meta["dagster/row_count"].value == 18 * 5
    assert {c.name for c in vec_meta["dagster/column_schema"].value.columns} >= {"episode_id", "embedding", "model"}
    assert {c.name for c in pair_meta["dagster/column_schema"].value.columns} >= {
        "new_episode_id", "historical_episode_id", "cosine_similarity", "rank"}

    # a run that wrote a vector of twice unit length and one a dimension short
    vectors = DeltaTable(own.delta_path("vectors")).to_pyarrow_table().slice(0, 2).to_pylist()
    vectors[0]["embedding"] = [2 * x for x in vectors[0]["embedding"]]
    vectors[1]["embedding"] = vectors[1]["embedding"][:-1]
    for row in vectors:
        row["batch_id"] = "broken-batch"
    write_deltalake(own.delta_path("vectors"), pa.Table.from_pylist(vectors, VECTOR_SCHEMA), mode="append")
    instance.report_runless_asset_event(dg.AssetMaterialization("episode_embeddings", metadata={
        "batch_id": "broken-batch"}))
    # and a self pair stored after the last comparison, and an embedded episode nobody is paired with
    lonely = dict(vectors[0], episode_id="99000002", embedding=list(np.eye(384, dtype=float)[0]), batch_id="lonely")
    write_deltalake(own.delta_path("vectors"), pa.Table.from_pylist([lonely], VECTOR_SCHEMA), mode="append")
    anchor = vectors[0]["episode_id"]
    with MongoClient(own.MONGO_URI) as client:
        client.similarity_checks.similarities.insert_one({
            "new_episode_id": anchor, "historical_episode_id": anchor, "cosine_similarity": 1.0, "rank": 6,
            "model": own.MODEL_NAME, "created_at": dt.datetime.now(dt.UTC)})

    # a comparison that ran after the lonely vector was written, and left it without neighbours
    instance.report_runless_asset_event(dg.AssetMaterialization("episode_similarities", metadata={
        "vectors_until": dt.datetime.now(dt.UTC).isoformat()}))
    broken = evaluations(dg.materialize(
        [episode_embeddings, episode_similarities, *CHECKS], resources=resources, instance=instance,
        selection=dg.AssetSelection.checks(*CHECKS), raise_on_error=False))
    vec, pairs = broken["new_vectors_are_unit_length"], broken["neighbour_lists_are_well_formed"]
    assert not vec.passed and vec.metadata["failed"].value == 2 and vec.metadata["batch_id"].value == "broken-batch"
    assert f"episode {vectors[0]['episode_id']}: norm 2.0000, not 1" in vec.metadata["examples"].value
    assert f"episode {vectors[1]['episode_id']}: 383 dimensions, the model has 384" in vec.metadata["examples"].value
    examples = pairs.metadata["examples"].value
    assert not pairs.passed and f"episode {anchor}: paired with itself" in examples
    assert f"episode {anchor}: 6 neighbours, more than 5" in examples
    assert "episode 99000002: embedded but without neighbours" in examples
