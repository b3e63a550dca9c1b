"""What may be recommended, to whom: one rule for every list (ALS, hybrid, popularity, the CLI).

- **Recommendable**: an episode a listener can play in our catalogue: never one whose row in the episode
  status table (``transcripts``) says it failed (a dead, refused or corrupt download) or that it is not
  English, even if listeners engaged with it. An episode still being transcribed is not held back: its
  audio was never found wanting, and listeners may reach it before the pipeline does.
- **Seen**: every (user, episode) pair with engagement, of either sign: a skip is not a reason to offer
  the episode again.
- **Known**: a user with positive engagement (the model learnt something about them). Anyone else, never
  seen or seen only skipping, gets the popular episodes, marked ``strategy: popularity``.
- **Popular**: episodes by how many users engaged positively with them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

UNPLAYABLE = ("failed", "skipped_not_english")  # status prefixes: "failed: <reason>"


def unplayable(statuses: pd.DataFrame) -> set[str]:
    """``statuses``: the ``transcripts`` table's ``episode_id, status`` (one row per episode)."""
    bad = statuses["status"].astype(str).str.startswith(UNPLAYABLE)
    return set(statuses.loc[bad, "episode_id"].astype(str))


def allowed_indices(items: list[str], blocked: set[str]) -> np.ndarray:
    return np.array([j for j, item in enumerate(items) if item not in blocked], dtype=np.int64)


def seen_matrix(totals: pd.DataFrame, users: list[str], items: list[str]) -> sp.csr_matrix:
    """The engaged (user, episode) pairs, positive or not, among the given users and items."""
    u_ix = {u: i for i, u in enumerate(users)}
    i_ix = {e: j for j, e in enumerate(items)}
    df = totals[totals["user_id"].isin(u_ix) & totals["episode_id"].isin(i_ix)]
    return sp.csr_matrix((np.ones(len(df), np.float32), (df["user_id"].map(u_ix), df["episode_id"].map(i_ix))),
                         shape=(len(u_ix), len(i_ix)))


def known_users(totals: pd.DataFrame) -> set[str]:
    return set(totals.loc[totals["engagement"] > 0, "user_id"].astype(str))


def popular(totals: pd.DataFrame, blocked: set[str]) -> pd.Series:
    """The recommendable episodes listeners reached, by their number of users with positive engagement,
    most popular first (ties by id, so every list is reproducible)."""
    counts = totals.loc[totals["engagement"] > 0].groupby("episode_id")["user_id"].nunique()
    reached = sorted(set(totals["episode_id"].astype(str)) - blocked)
    return counts.reindex(reached, fill_value=0).astype(float).sort_values(ascending=False, kind="stable")
