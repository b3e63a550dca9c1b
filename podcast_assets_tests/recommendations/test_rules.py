import pandas as pd

from podcast_assets.recommendations.rules import known_users, popular, seen_matrix, unplayable


def totals(rows):
    return pd.DataFrame(rows, columns=["user_id", "episode_id", "engagement"])


def test_failed_refused_and_non_english_episodes_are_unplayable():
    statuses = pd.DataFrame({"episode_id": ["a", "b", "c", "d"], "status": [
        "transcribed", "failed: dead URL http://x/a.mp3: HTTP 404", "skipped_not_english",
        "failed: refused: 10.0.0.1 is a private address"]})
    assert unplayable(statuses) == {"b", "c", "d"}


def test_seen_pairs_include_skips_and_only_the_models_users_and_items():
    t = totals([("u", "2", 1.0), ("v", "1", -2.0), ("w", "1", 1.0)])
    assert seen_matrix(t, ["u", "v"], ["1", "2"]).toarray().tolist() == [[0, 1], [1, 0]]  # w is not a user


def test_a_user_who_only_skipped_is_not_known():
    assert known_users(totals([("u", "1", 1.0), ("v", "1", -1.0), ("v", "2", 0.0)])) == {"u"}


def test_popular_counts_users_with_positive_engagement_among_playable_episodes():
    t = totals([("u", "a", 3.0), ("v", "a", 1.0), ("u", "b", 1.0), ("v", "b", -1.0), ("w", "lost", 9.0),
                ("w", "c", -1.0)])
    ranked = popular(t, {"lost"})
    assert list(ranked.index) == ["a", "b", "c"] and list(ranked) == [2.0, 1.0, 0.0]  # "lost" is not playable
