"""Safe file names from episode titles."""

from __future__ import annotations

import re
import unicodedata


def sanitise_title(title: str, max_len: int = 100) -> str:
    """``Why AI Will Change Everything?`` -> ``Why_AI_Will_Change_Everything``: letters, digits, ``_-``
    only, so no path separator, no ``..`` and no hidden file can come out of it."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9-]+", "_", ascii_title).strip("_-")[:max_len].strip("_-")
    return name or "untitled"


def unique_name(title: str, episode_id: str, taken: dict[str, str]) -> str:
    """The sanitised title, or title + episode id when another episode already holds that name.
    ``taken`` maps names to the episode that holds them, so an episode keeps its own name on re-runs."""
    base = sanitise_title(title)
    if taken.get(base) in (None, episode_id):
        return base
    return f"{base}_{sanitise_title(str(episode_id))}"
