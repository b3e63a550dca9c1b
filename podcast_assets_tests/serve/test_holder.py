"""The API's passages holder on a real Delta table: it holds one version, its own thread swaps in the next one
once it is committed, a version of another model is not mixed in, and a broken table leaves the held one."""

import shutil
import time

import numpy as np
import pyarrow as pa
from deltalake import write_deltalake

from podcast_assets.resources.delta import DeltaTables
from podcast_assets.search.answers import within
from podcast_assets.serve.holder import PassageHolder


def passages(episode: str, texts: list[str], model: str = "all-MiniLM-L6-v2") -> pa.Table:
    rng = np.random.default_rng(len(texts))
    vectors = rng.standard_normal((len(texts), 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    n = len(texts)
    return pa.table({
        "episode_id": [episode] * n, "passage": pa.array(range(n), pa.int32()), "model": [model] * n,
        "start": [30.0 * i for i in range(n)], "end": [30.0 * i + 45 for i in range(n)], "text": texts,
        "segment_starts": [[30.0 * i] for i in range(n)], "segment_offsets": [[0] for _ in range(n)],
        "embedding": pa.array([list(v) for v in vectors], pa.list_(pa.float32()))})


def wait_for(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_the_holder_swaps_in_each_new_version_by_itself(tmp_path):
    delta = DeltaTables(root=str(tmp_path / "delta"))
    logged: list[str] = []
    holder = PassageHolder(delta, tmp_path / "keywords", "all-MiniLM-L6-v2", refresh_seconds=0.1, log=logged.append)
    assert holder.refresh() is False and holder.held is None  # no table yet: nothing held, nothing failed
    write_deltalake(delta.uri("transcript_passages"), passages("e1", ["the comet returns", "tides and the moon"]))
    assert holder.refresh() is True and holder.held.version == 0 and len(holder.held.rows) == 2
    assert holder.held.keyword_index == "built from the passages read"  # no saved index for this version
    assert holder.refresh() is False  # the same version is not read again
    holder.start()
    try:
        write_deltalake(delta.uri("transcript_passages"), passages("e2", ["sourdough starter", "knives"]), mode="append")
        write_deltalake(delta.uri("transcript_passages"), passages("e3", ["other model"], model="other"), mode="append")
        wait_for(lambda: holder.held.version == 2)
        held = holder.held
        assert held.episodes == {"e1", "e2"}  # the other model's passages are not searched
        assert held.matrix.shape == (4, 8) and sorted(r["text"] for r in held.rows if r["episode_id"] == "e2") == [
            "knives", "sourdough starter"]
        rows, _ = held.keywords.top("sourdough", 5)
        assert [held.rows[r]["episode_id"] for r in rows] == ["e2"]
        one = within(held, "e1")
        assert one.episodes == {"e1"} and one.matrix.shape == (2, 8)
        # the table's log made unreadable: the held version keeps serving, and the failure is said once
        shutil.rmtree(tmp_path / "delta" / "transcript_passages" / "_delta_log")
        (tmp_path / "delta" / "transcript_passages" / "_delta_log").mkdir()
        (tmp_path / "delta" / "transcript_passages" / "_delta_log" / "00000000000000000003.json").write_text("{")
        wait_for(lambda: holder.last_error != "")
        time.sleep(0.5)
        assert holder.held is held
        assert sum("not refreshed" in line for line in logged) == 1, logged
    finally:
        holder.stop()
    assert any("passages version 2: 4 passages of 2 episodes held" in line for line in logged), logged
