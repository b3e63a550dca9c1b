"""How much of a publisher's text an episode keeps: a cap per field, so one item can never outgrow a Kafka message
(librdkafka's 1 MB default), a MongoDB document or a Delta row. Pure functions.

A text over its cap is cut at a character boundary and says so at its end (``CUT_MARK``), so a reader of the stored
value knows it is not the publisher's whole text. A URL over its cap is not cut (a cut URL points elsewhere): it
is dropped, and an episode without its audio URL is not published. A guid over its cap is known by its hash.
"""

from __future__ import annotations

import hashlib

CUT_MARK = " [cut: {n} characters in all]"
# characters (not bytes: UTF-8 takes at most 4 each, so the largest episode stays far below 1 MB)
TEXT_CAPS = {
    "episode_title": 500, "podcast_title": 500, "description": 20_000, "language": 35, "categories": 1_000,
    "enclosure_type": 100, "transcript_type": 100,
    "title": 500, "author": 500,  # trending shows (the Podcast Index's fields)
}
URL_CAP = 2_000
URL_FIELDS = ("audio_url", "transcript_url", "chapters_url", "link", "feed_url", "url")
KEY_CAP = 500  # a guid longer than this is known by its hash (it is an identity: never cut)


def long_key(key: str) -> str:
    """An identity (a guid, an item's key) as it is stored: itself, or ``long:<hash>`` when over ``KEY_CAP``."""
    return key if len(key) <= KEY_CAP else "long:" + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


def cut(text: str, cap: int) -> str:
    """``text``, or its first characters and the mark, ``cap`` characters in all."""
    if len(text) <= cap:
        return text
    mark = CUT_MARK.format(n=len(text))
    return text[:max(0, cap - len(mark))] + mark


def bounded(record: dict) -> tuple[dict, list[str]]:
    """The record with each capped text field within its cap and each over-long URL dropped, and the names of
    the fields that were cut or dropped."""
    out, touched = dict(record), []
    for name, cap in TEXT_CAPS.items():
        value = out.get(name)
        if isinstance(value, str) and len(value) > cap:
            out[name], touched = cut(value, cap), [*touched, name]
    for name in URL_FIELDS:
        value = out.get(name)
        if isinstance(value, str) and len(value) > URL_CAP:
            out[name], touched = "", [*touched, name]
    if isinstance(out.get("guid"), str) and len(out["guid"]) > KEY_CAP:
        out["guid"], touched = long_key(out["guid"]), [*touched, "guid"]
    return out, touched
