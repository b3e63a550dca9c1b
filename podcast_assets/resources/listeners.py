"""Listener events: how the synthetic listeners behave, and how every event (synthetic or real) scores."""

from __future__ import annotations

import dagster as dg

from podcast_assets.events.engagement import Weights
from podcast_assets.settings import DEFAULTS as D


class ListenerEventsResource(dg.ConfigurableResource):
    # the synthetic generator's defaults (the local default's stand-in for listening apps)
    num_users: int = D.NUM_USERS
    events_per_user: int = D.EVENTS_PER_USER
    users_seed: int = D.EVENTS_SEED  # the same seed gives the same users and preferences
    malformed_share: float = D.MALFORMED_SHARE
    # engagement weights of the notes: like, complete, skip, and the pause cap in seconds
    like_w: float = D.LIKE_W
    complete_w: float = D.COMPLETE_W
    skip_w: float = D.SKIP_W
    pause_sec_cap: float = D.PAUSE_SEC_CAP

    def weights(self) -> Weights:
        return Weights(self.like_w, self.complete_w, self.skip_w, self.pause_sec_cap)
