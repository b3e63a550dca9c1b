"""What may be recommended, to whom: one rule for every list (ALS, hybrid, popularity, the CLI).

- **Recommendable**: an episode a listener can play in our catalogue, i.e. one whose row in the episode
  status table (``transcripts``) says ``transcribed`` (downloaded, decoded, English). A failed download,
  refused audio or a non-English episode is never recommended, even if listeners engaged with it.
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

PLAYABLE = "transcribed"


def recommendable(statuses: pd.DataFrame) -> set[str]:
    """``statuses``: the ``transcripts`` table's ``episode_id, status`` (one row per episode)."""
    return set(statuses.loc[statuses["status"] == PLAYABLE, "episode_id"].astype(str))


def allowed_indices(items: list[str], playable: set[str]) -> np.ndarray:
    return np.array([j for j, item in enumerate(items) if item in playable], dtype=np.int64)


def seen_matrix(totals: pd.DataFrame, users: list[str], items: list[str]) -> sp.csr_matrix:
    """The engaged (user, episode) pairs, positive or not, among the given users and items."""
    u_ix = {u: i for i, u in enumerate(users)}
    i_ix = {e: j for j, e in enumerate(items)}
    df = totals[totals["user_id"].isin(u_ix) & totals["episode_id"].isin(i_ix)]
    return sp.csr_matrix((np.ones(len(df), np.float32), (df["user_id"].map(u_ix), df["episode_id"].map(i_ix))),
                         shape=(len(u_ix), len(i_ix)))


def known_users(totals: pd.DataFrame) -> set[str]:
    return set(totals.loc[totals["engagement"] > 0, "user_id"].astype(str))


def popular(totals: pd.DataFrame, playable: set[str]) -> pd.Series:
    """Recommendable episodes by their number of users with positive engagement, most popular first
    (ties by id, so every list is reproducible); recommendable episodes nobody liked yet come last."""
    counts = totals.loc[totals["engagement"] > 0].groupby("episode_id")["user_id"].nunique()
    counts = counts.reindex(sorted(playable), fill_value=0).astype(float)
    return counts.sort_values(ascending=False, kind="stable")


def popular_for(user: str, totals: pd.DataFrame, playable: set[str], n: int) -> list[tuple[str, float]]:
    """A user's popularity list: the popular episodes they have not engaged with."""
    seen = set(totals.loc[totals["user_id"] == user, "episode_id"])
    ranked = popular(totals, playable)
    return [(str(e), float(c)) for e, c in ranked.items() if e not in seen][:n]
