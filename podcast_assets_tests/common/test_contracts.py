import numpy as np
import pandas as pd

from podcast_assets.ingest.contracts import episode_rows
from podcast_assets.recommendations.contracts import published_lists
from podcast_assets.similarities.contracts import every_episode_linked, neighbour_pairs, vector_rows


def test_episodes_need_one_row_each_and_an_http_audio_url():
    df = pd.DataFrame({"episode_id": ["1", "2", "2", "3", "4"],
                       "audio_url": ["https://a/1.mp3", "http://a/2.mp3", "http://a/2.mp3", "ftp://a/3.mp3",
                                     "https://user:secret@a/4.mp3?token=abc"]})
    v = episode_rows(df)
    assert v.checked == 5 and not v.passed
    assert v.failures[0] == "episode 2: 2 rows" and "episode 3: audio URL 'ftp://a/3.mp3' is not http(s)" in v.failures
    assert len(v.failures) == 2  # the signed URL is fine; had it failed, its token would not be shown
    bad = episode_rows(pd.DataFrame({"episode_id": ["5"], "audio_url": ["file:///etc/passwd?token=abc"]}))
    assert "token" not in bad.failures[0] and "not http(s)" in bad.failures[0]
    assert episode_rows(df.iloc[[0, 1]]).passed


def test_vectors_need_the_models_dimension_and_unit_length():
    unit = np.eye(4)[0]
    df = pd.DataFrame({"episode_id": ["a", "b", "c"], "embedding": [unit, unit * 1.01, np.ones(3) / np.sqrt(3)]})
    v = vector_rows(df, 4)
    assert v.failures == ("episode b: norm 1.0100, not 1", "episode c: 3 dimensions, the model has 4")
    assert vector_rows(df.iloc[[0]], 4).passed


def test_neighbour_pairs_and_coverage():
    pairs = pd.DataFrame({"new_episode_id": ["a", "a", "a", "b"], "historical_episode_id": ["b", "c", "a", "a"],
                          "cosine_similarity": [0.9, 1.2, 1.0, 0.9]})
    v = neighbour_pairs(pairs, top_k=2)
    assert v.failures == ("episode a: paired with itself", "episode a: 3 neighbours, more than 2",
                          "pair a -> c: cosine 1.2000")
    assert every_episode_linked({"a", "b", "z"}, {"a", "b"}).failures == ("episode z: embedded but without neighbours",)
    assert every_episode_linked({"z"}, set()).passed  # one episode has nobody to be near


def test_published_lists_never_hold_engaged_episodes_too_many_or_two_versions():
    totals = pd.DataFrame({"user_id": ["u", "u"], "episode_id": ["1", "2"], "engagement": [3.0, -1.0]})
    docs = pd.DataFrame({"user_id": ["u", "u", "v", "v", "v"], "new_episode_id": ["2", "3", "1", "2", "3"],
                         "model_version": ["v1", "v1", "v1", "v1", "v2"]})
    v = published_lists(docs, totals, top_n=2)
    assert v.failures == ("user u: 2 was already engaged with", "user v: 3 recommendations, more than 2",
                          "2 model versions in one set: v1, v2")
    assert published_lists(docs.iloc[[1, 2, 3]], totals, top_n=2).passed
