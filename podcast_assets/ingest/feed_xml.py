"""A podcast feed's bytes as its show and items: RSS 2.0 (iTunes and ``podcast:`` namespaces) or Atom.

Anyone can publish a feed, so the XML is read by ``defusedxml`` first: an entity bomb, an external
entity or a DTD that fetches something is refused with a one-line reason before any other parser sees
it. ``podcastparser`` (gPodder's, made for podcast feeds) then reads the show and its episodes: the
declared encoding, CDATA, ``itunes:duration``, enclosures and relative URLs resolved against the
feed's URL. What it does not keep (the type of each ``podcast:transcript``, ``podcast:chapters``,
an item's or an Atom feed's language) is read from the checked tree. Pure functions.
"""

from __future__ import annotations

import html
import io
import re
from urllib.parse import urljoin

import podcastparser
from defusedxml import DefusedXmlException, EntitiesForbidden
from defusedxml import ElementTree as SafeTree

PODCAST_NS = ("https://podcastindex.org/namespace/1.0",
              "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ITUNES_TYPE = "{http://www.itunes.com/dtds/podcast-1.0.dtd}episodeType"
ATOM = "{http://www.w3.org/2005/Atom}"
_TAGS = re.compile(r"<[^>]{0,500}>")


class FeedRefused(ValueError):
    """The feed is not read: the message says why in one line. Nothing of it is used."""


def plain_text(value: str) -> str:
    """Markup-free text of a title: tags dropped, entities (once or twice escaped) read, spaces folded."""
    text = html.unescape(_TAGS.sub("", html.unescape(value or "")))
    return " ".join(_TAGS.sub("", text).split())


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _namespaced(el, names: tuple[str, ...], local: str) -> list:
    return [c for c in el if isinstance(c.tag, str) and any(c.tag == f"{{{ns}}}{local}" for ns in names)]


def _item_key(el, base: str) -> str:
    """What podcastparser calls an item's guid: its guid (Atom: id), else its enclosure URL."""
    for child in el:
        if _local(child.tag) in ("guid", "id") and (child.text or "").strip():
            return child.text.strip()
    for child in el:
        if _local(child.tag) == "enclosure" and child.get("url"):
            return urljoin(base, child.get("url").strip())
        if _local(child.tag) == "link" and child.get("rel") == "enclosure" and child.get("href"):
            return urljoin(base, child.get("href").strip())
    return ""


def _extras(root, base: str) -> tuple[str, dict[str, dict]]:
    """The channel's language, and per item key: its transcripts (url, type), chapters URL and language."""
    channel = next((c for c in root if _local(c.tag) == "channel"), root)
    language = root.get(XML_LANG) or next((c.text or "" for c in channel if _local(c.tag) == "language"), "")
    items = {}
    for el in channel:
        if _local(el.tag) not in ("item", "entry"):
            continue
        transcripts = [(urljoin(base, t.get("url", "").strip()), (t.get("type") or "").strip().lower())
                       for t in _namespaced(el, PODCAST_NS, "transcript") if t.get("url")]
        chapters = [urljoin(base, c.get("url", "").strip()) for c in _namespaced(el, PODCAST_NS, "chapters")
                    if c.get("url")]
        own = el.get(XML_LANG) or next((c.text or "" for c in el if _local(c.tag) == "language"), "")
        kind = next((c.text or "" for c in el if c.tag == ITUNES_TYPE), "")  # podcastparser: RSS items only
        items[_item_key(el, base)] = {"transcripts": transcripts, "chapters_url": chapters[0] if chapters else "",
                                      "language": own.strip(), "episode_type": kind.strip().lower()}
    return language.strip(), items


def parse_feed(body: bytes, url: str) -> dict:
    """The show (``title``, ``language``, ``link``, ``image``) and its ``items``, newest first; each item has
    ``guid``, ``title``, ``audio_url``, ``enclosure_type``, ``enclosure_length``, ``description``,
    ``published`` (epoch seconds, 0 if unknown), ``duration_sec`` (0 if missing), ``link``, ``language``,
    ``transcripts``, ``chapters_url`` and ``episode_type`` (``itunes:episodeType``, default full). Raises ``FeedRefused``."""
    try:
        root = SafeTree.fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except EntitiesForbidden as exc:
        kind = "an external entity" if exc.sysid or exc.pubid else "an entity"
        raise FeedRefused(f"refused: the feed declares {kind} ({str(exc.name)[:40]!r}); XML entities are not "
                          "read (entity bombs, external files)") from None
    except DefusedXmlException as exc:
        raise FeedRefused(f"refused: unsafe XML ({type(exc).__name__})") from None
    except SafeTree.ParseError as exc:
        raise FeedRefused(f"not XML: {exc}"[:300]) from None
    if _local(root.tag) not in ("rss", "feed", "RDF"):
        raise FeedRefused(f"not a podcast feed: the document is <{_local(root.tag)[:40]}>, not RSS or Atom")
    language, extras = _extras(root, url)
    try:
        parsed = podcastparser.parse(url, io.BytesIO(body))
    except Exception as exc:  # podcastparser raises what xml.sax and its handlers raise
        raise FeedRefused(f"unreadable feed: {type(exc).__name__}: {exc}"[:300]) from None
    items = []
    for ep in parsed.get("episodes", []):
        enclosure = next(iter(ep.get("enclosures") or []), {})
        extra = extras.get(ep.get("guid") or "", {})
        items.append({
            "guid": str(ep.get("guid") or ""), "title": plain_text(ep.get("title") or ""),
            "audio_url": str(enclosure.get("url") or ""), "enclosure_type": str(enclosure.get("mime_type") or ""),
            "enclosure_length": max(0, int(enclosure.get("file_size") or 0)),
            "description": str(ep.get("description") or ""), "published": int(ep.get("published") or 0),
            "duration_sec": float(ep.get("total_time") or 0), "link": str(ep.get("link") or ""),
            "language": extra.get("language") or "", "transcripts": extra.get("transcripts") or [],
            "chapters_url": extra.get("chapters_url") or "", "episode_type": str(ep.get("type") or extra.get("episode_type") or "full").lower()})
    items.sort(key=lambda i: i["published"], reverse=True)
    return {"title": plain_text(parsed.get("title") or ""), "language": parsed.get("language") or language,
            "link": str(parsed.get("link") or ""), "image": str(parsed.get("cover_url") or ""), "items": items}
