"""Versioned model artefacts on disk: complete versions only, LATEST, the newest that passed, pruning."""

import numpy as np

from podcast_assets.recommendations import model_store


def test_old_versions_are_pruned_but_latest_and_the_served_one_stay(tmp_path):
    made = [model_store.save_version(tmp_path, {"f": np.ones(2)}, {"metrics": {"ok": i == 1}}) for i in range(6)]
    assert model_store.versions(tmp_path) == sorted(made) and model_store.latest_version(tmp_path) == made[-1]
    served = model_store.newest_version_where(tmp_path, lambda m: m.get("ok"))
    assert served == made[1]
    removed = model_store.prune(tmp_path, 2, {served})
    assert sorted(removed) == sorted(made[0:1] + made[2:4])
    assert model_store.versions(tmp_path) == sorted([made[1], made[4], made[5]])
    assert model_store.load_version(tmp_path)[0] == made[-1]
    assert model_store.document(tmp_path, made[1], "metrics") == {"ok": True}
    assert model_store.document(tmp_path, "missing", "metrics") == {}
