import datetime as dt
import json

import pandas as pd
import pytest

from podcast_assets.events.engagement import Weights, daily_engagement, weight
from podcast_assets.events.generator import generate, users
from podcast_assets.events.schema import FIELDS, validate

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
EPISODES = {f"e{i}": ("space", "food", "money")[i % 3] for i in range(12)}


def test_messages_carry_every_field_and_are_keyed_by_user():
    msgs = generate(EPISODES, num_users=5, events_per_user=10, user_seed=1, batch_seed=2, now=NOW)
    assert len(msgs) == 50
    for key, raw in msgs:
        doc = json.loads(raw)
        assert set(doc) == set(FIELDS) and doc["user_id"] == key and doc["new_episode_id"] in EPISODES


def test_same_seeds_same_events_and_stable_users():
    a = generate(EPISODES, 5, 10, 1, 2, NOW)
    assert a == generate(EPISODES, 5, 10, 1, 2, NOW)
    assert {k for k, _ in a} == {k for k, _ in generate(EPISODES, 5, 10, 1, 3, NOW)}  # users survive batches


def test_users_engage_more_with_their_topics():
    msgs = [json.loads(m) for _, m in generate(EPISODES, 40, 50, 1, 2, NOW)]
    prefs = dict(users(40, sorted(set(EPISODES.values())), 1))
    w = Weights()
    liked = [weight(m["event"], m["rating"], m["position_sec"], w) for m in msgs
             if EPISODES[m["new_episode_id"]] in prefs[m["user_id"]]]
    other = [weight(m["event"], m["rating"], m["position_sec"], w) for m in msgs
             if EPISODES[m["new_episode_id"]] not in prefs[m["user_id"]]]
    assert sum(liked) / len(liked) > 1.5 > 0 > sum(other) / len(other)


def test_malformed_share_is_injected_and_caught():
    msgs = generate(EPISODES, 20, 20, 1, 2, NOW, malformed_share=0.2)
    bad = [validate(m.encode())[1] for _, m in msgs if validate(m.encode())[0] is None]
    assert 40 < len(bad) < 120 and all(bad)


@pytest.mark.parametrize("raw,reason", [
    (b"{oops", "not JSON"), (b"[]", "not a JSON object"), (b'{"event_id": 1}', "missing fields"),
])
def test_validation_reasons(raw, reason):
    assert reason in validate(raw)[1]


def test_bad_event_type_and_rating():
    good = json.loads(generate(EPISODES, 1, 1, 1, 2, NOW)[0][1])
    assert validate(json.dumps({**good, "event": "dance"}).encode())[1].startswith("unknown event type")
    assert "outside 1..5" in validate(json.dumps({**good, "event": "rate", "rating": 9}).encode())[1]
    assert validate(json.dumps(good).encode())[0]["ts"].tzinfo is not None


def test_weights_follow_the_notes():
    w = Weights()
    assert weight("like", None, 0, w) == 3.0 and weight("complete", None, 0, w) == 2.0
    assert weight("rate", 5, 0, w) == 2.0 and weight("rate", 1, 0, w) == -2.0
    assert weight("pause", None, 300, w) == 0.5 and weight("pause", None, 6000, w) == 1.0
    assert weight("skip", None, 0, w) == -1.0


def test_daily_engagement_sums_counts_and_latest():
    ts = pd.Timestamp("2026-11-20T10:00:00Z")
    raw = pd.DataFrame({
        "ts": [ts, ts + pd.Timedelta(hours=1), ts], "day": [ts.date()] * 3, "user_id": ["u", "u", "v"],
        "new_episode_id": ["e", "e", "e"], "event": ["like", "skip", "pause"], "rating": [None, None, None],
        "position_sec": [0.0, 0.0, 60.0]})
    out = daily_engagement(raw, Weights()).set_index("user_id")
    assert out.loc["u", "engagement"] == 2.0 and out.loc["u", "events"] == 2
    assert out.loc["u", "last_ts"] == ts + pd.Timedelta(hours=1)
    assert out.loc["v", "engagement"] == pytest.approx(0.1)
