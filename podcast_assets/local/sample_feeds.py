"""The sample catalog's shows as the feeds real hosts publish, and hostile feeds for the tests.

Each show's feed takes one of the shapes hosts publish, by its position in the catalog: RSS 2.0 with the
iTunes and ``podcast:`` namespaces and CDATA descriptions; Atom; RSS in ISO-8859-1 with HTML in titles
and relative enclosure URLs; RSS whose enclosures go through a tracking redirect (``/track/...``) and
have no duration; RSS in windows-1252. The items keep the catalog's guids and audio, so a show that is
also trending is one episode, not two. Served by ``podcast_index_server.py``.
"""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

SHAPES = ("rss", "atom", "latin1", "tracked", "cp1252")
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"


def shape_of(feeds: list[dict], feed_id: int) -> str:
    ids = [f["id"] for f in feeds]
    return SHAPES[ids.index(feed_id) % len(SHAPES)] if feed_id in ids else "rss"


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _audio(url: str, base: str, shape: str) -> str:
    if shape == "latin1" and url.startswith(base):
        return "../" + url[len(base):].lstrip("/")  # relative to /feeds/<id>.xml
    if shape == "tracked" and url.startswith(base):
        return f"{base}/track/redirect.mp3/{base.split('://', 1)[1]}{url[len(base):]}"
    return url


def _rss_item(e: dict, base: str, shape: str) -> str:
    when = format_datetime(dt.datetime.fromtimestamp(e["datePublished"], dt.UTC), usegmt=True)
    title = escape(e["title"]) if shape != "latin1" else escape(f"<b>{e['title']}</b>")
    parts = [f"<title>{title}</title>", f'<guid isPermaLink="false">{escape(e["guid"])}</guid>',
             f"<pubDate>{when}</pubDate>", f"<link>{escape(e.get('link') or '')}</link>",
             f"<description><![CDATA[<p>{e.get('description') or ''}</p>]]></description>",
             f'<enclosure url={quoteattr(_audio(e["enclosureUrl"], base, shape))} '
             f'length="{int(e.get("enclosureLength") or 0)}" type={quoteattr(e.get("enclosureType") or "")}/>',
             f"<itunes:episodeType>{escape(e.get('episodeType') or 'full')}</itunes:episodeType>"]
    if shape != "tracked" and e.get("duration"):
        parts.append(f"<itunes:duration>{_hms(int(e['duration']))}</itunes:duration>")
    for t in e.get("transcripts") or []:
        parts.append(f"<podcast:transcript url={quoteattr(t['url'])} type={quoteattr(t['type'])}/>")
    if e.get("chaptersUrl"):
        parts.append(f'<podcast:chapters url={quoteattr(e["chaptersUrl"])} type="application/json+chapters"/>')
    return "<item>" + "".join(parts) + "</item>"


def _atom(feed: dict, items: list[dict], base: str) -> str:
    entries = []
    for e in items:
        when = dt.datetime.fromtimestamp(e["datePublished"], dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        entries.append(
            f"<entry><title type=\"html\">{escape(escape(e['title']))}</title><id>{escape(e['guid'])}</id>"
            f"<updated>{when}</updated><summary>{escape(e.get('description') or '')}</summary>"
            f"<link rel=\"enclosure\" href={quoteattr(e['enclosureUrl'])} type={quoteattr(e['enclosureType'])} "
            f"length=\"{int(e.get('enclosureLength') or 0)}\"/>"
            f"<itunes:episodeType>{escape(e.get('episodeType') or 'full')}</itunes:episodeType></entry>")
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            f'xmlns:itunes="{ITUNES}" xml:lang="{escape(feed["language"])}"><title>{escape(feed["title"])}</title>'
            f'<id>{base}/feeds/{feed["id"]}.xml</id><link href="{base}/feeds/{feed["id"]}.xml" rel="self"/>'
            + "".join(entries) + "</feed>")


def render_feed(feed: dict, items: list[dict], base: str, shape: str) -> bytes:
    """One show's feed: its items newest first, in ``shape``."""
    items = sorted(items, key=lambda e: -e["datePublished"])
    if shape == "atom":
        return _atom(feed, items, base).encode("utf-8")
    encoding = {"latin1": "iso-8859-1", "cp1252": "windows-1252"}.get(shape, "utf-8")
    title = feed["title"] + (" \u2013 weekly" if shape == "cp1252" else "")
    doc = (f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0" xmlns:itunes="{ITUNES}" '
           f'xmlns:podcast="{PODCAST}"><channel><title>{escape(title)}</title>'
           f"<link>{base}/shows/{feed['id']}</link><language>{escape(feed['language'])}</language>"
           f"<description><![CDATA[{feed.get('description') or ''}]]></description>"
           f"<itunes:author>{escape(feed.get('author') or '')}</itunes:author>"
           + "".join(_rss_item(e, base, shape) for e in items) + "</channel></rss>")
    return doc.encode(encoding, errors="xmlcharrefreplace")


def render_opml(feeds: list[dict], base: str) -> bytes:
    outlines = "".join(f'<outline type="rss" text={quoteattr(f["title"])} xmlUrl="{base}/feeds/{f["id"]}.xml"/>'
                       for f in feeds)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<opml version="2.0"><head><title>Sample shows</title></head>'
            f"<body>{outlines}</body></opml>").encode()


def hostile_feed(kind: str) -> bytes | None:
    """A feed that must be refused: ``bomb`` (nested entities), ``entity`` (an external entity), ``huge``
    (a valid feed of some 3 MB, over a small cap); ``endless`` is served by dripping, not from here."""
    if kind == "bomb":
        ents = ['<!ENTITY e0 "lol">'] + [f'<!ENTITY e{i} "{("&e" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
        return (f'<?xml version="1.0"?>\n<!DOCTYPE rss [{"".join(ents)}]>'
                '<rss version="2.0"><channel><title>&e9;</title></channel></rss>').encode()
    if kind == "entity":
        return (b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
                b'<rss version="2.0"><channel><title>&secret;</title></channel></rss>')
    if kind == "huge":
        item = "<item><title>padding</title><description>" + "x" * 1000 + "</description></item>"
        return ('<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Huge</title>'
                + item * 3000 + "</channel></rss>").encode()
    return None
