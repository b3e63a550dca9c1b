import pandas as pd

from podcast_assets.recommendations.history import engagement_totals


def test_totals_sum_engagement_over_days_and_keep_the_last_time():
    daily = pd.DataFrame({"user_id": ["u", "u", "v"], "new_episode_id": ["1", "1", "2"], "engagement": [1.0, 2.5, -1.0],
                          "last_ts": pd.to_datetime(["2026-11-01", "2026-11-03", "2026-11-02"])})
    totals = engagement_totals(daily).set_index(["user_id", "episode_id"])
    assert totals.loc[("u", "1"), "engagement"] == 3.5 and str(totals.loc[("u", "1"), "last_ts"].date()) == "2026-11-03"
    assert len(totals) == 2
