"""JSON a publisher wrote (chapters, Podcasting 2.0 transcripts), read as untrusted: within a size cap, nested at
most ``MAX_DEPTH`` deep (a file nested 100,000 deep would otherwise raise ``RecursionError`` inside ``json``),
and with no ``NaN`` or ``Infinity`` (not JSON, though Python's parser takes them). Pure functions."""

from __future__ import annotations

import json
import re

MAX_DEPTH = 32
MAX_CHARS = 10 * 1024 * 1024
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


class UntrustedJsonError(ValueError):
    """The file is not read: the message says why in one line."""


def nesting(text: str, stop: int = MAX_DEPTH) -> int:
    """How deep the text's arrays and objects nest (strings skipped), counted up to ``stop + 1``."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRING.sub('""', text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
        if deepest > stop:
            break
    return deepest


def _no_constant(name: str):
    raise UntrustedJsonError(f"{name} is not a JSON number")


def loads(text: str, what: str, max_chars: int = MAX_CHARS, max_depth: int = MAX_DEPTH):
    """``json.loads`` of a publisher's file, or ``UntrustedJsonError`` naming ``what`` and the reason."""
    if len(text) > max_chars:
        raise UntrustedJsonError(f"{what} is {len(text)} characters, over the cap of {max_chars}")
    if nesting(text, max_depth) > max_depth:
        raise UntrustedJsonError(f"{what} nests deeper than {max_depth} levels")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except UntrustedJsonError as exc:
        raise UntrustedJsonError(f"{what}: {exc}") from None
    except (ValueError, RecursionError):
        raise UntrustedJsonError(f"{what} is not JSON") from None
