"""The published recommendation lists' contract: never an engaged episode, at most ``top_n`` per user, one
model version in the set (a reader never sees two sets mixed)."""

from __future__ import annotations

import pandas as pd

from podcast_assets.common.contracts import Verdict, verdict


def published_lists(docs: pd.DataFrame, totals: pd.DataFrame, top_n: int) -> Verdict:
    """``docs``: the published set (``user_id, new_episode_id, model_version``); ``totals``: engaged pairs
    (``user_id, episode_id``), skips included."""
    engaged = set(zip(totals["user_id"].astype(str), totals["episode_id"].astype(str)))
    seen = [f"user {u}: {e} was already engaged with" for u, e in
            zip(docs["user_id"].astype(str), docs["new_episode_id"].astype(str)) if (u, e) in engaged]
    per_user = docs.groupby("user_id").size()
    too_long = [f"user {u}: {n} recommendations, more than {top_n}" for u, n in per_user[per_user > top_n].items()]
    versions = sorted(docs["model_version"].astype(str).unique()) if len(docs) else []
    mixed = [f"{len(versions)} model versions in one set: {', '.join(versions[:3])}"] if len(versions) > 1 else []
    return verdict(len(docs), seen, too_long, mixed)
