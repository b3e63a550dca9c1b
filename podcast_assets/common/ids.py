"""Episode ids: they become partition keys, file names and Delta predicates, so their shape is checked."""

import re

EPISODE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # letters, digits, - and _ only


def is_episode_id(value: str) -> bool:
    return isinstance(value, str) and bool(EPISODE_ID.fullmatch(value))


def sql_list(ids) -> str:
    """``'a', 'b'`` for a Delta predicate, from checked ids only (else ``ValueError``)."""
    ids = list(ids)
    bad = [i for i in ids if not is_episode_id(i)]
    if bad:
        raise ValueError(f"not episode ids: {bad[:3]!r}")
    return ", ".join(f"'{i}'" for i in ids)
