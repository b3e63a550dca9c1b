"""Regenerate the bundled sample catalog: ``podcast_assets/local/sample_catalog``.

Needs espeak-ng (Debian package) and the ffmpeg binary of imageio-ffmpeg. Writes ``catalog.json``
(feeds and episodes in the Podcast Index shape, plus the spoken ``script`` and ``topic`` label of
each episode) and compressed MP3 audio. Run: ``python scripts/make_sample_catalog.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import imageio_ffmpeg

sys.path.insert(0, str(Path(__file__).parent))
from catalog_scripts import LONG, LONG_VOICES, SPANISH, SPANISH_2, TOPICS

OUT = Path(__file__).resolve().parents[1] / "podcast_assets" / "local" / "sample_catalog"
BASE = "{BASE}"  # replaced by the local server with its own address
SPANISH_SHOWS = ("Cocina con Sabor", "World Kitchen Stories")
T0 = 1_763_000_000  # a fixed "now" for publish times, so the catalog is reproducible


def speak(text: str, name: str, voice: str = "en-us+m3") -> tuple[int, float]:
    mp3 = OUT / "audio" / f"{name}.mp3"
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(wav), text], check=True)
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(wav),
                        "-ac", "1", "-ar", "22050", "-b:a", "32k", str(mp3)], check=True)
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(mp3)], capture_output=True, text=True)
    hms = probe.stderr.split("Duration: ")[1].split(",")[0]
    h, m, s = hms.split(":")
    return mp3.stat().st_size, int(h) * 3600 + int(m) * 60 + float(s)


def speak_turns(turns: list[tuple[str, str]], name: str, pace: int = 110) -> tuple[int, float]:
    """A conversation: each turn in its speaker's voice, half a second between turns, as mono 16 kHz MP3
    at 16 kbit/s (a 10-minute episode stays near 1.2 MB)."""
    import wave

    mp3 = OUT / "audio" / f"{name}.mp3"
    pcm, rate = b"", 22050
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "turn.wav"
        for speaker, text in turns:
            subprocess.run(["espeak-ng", "-v", LONG_VOICES[speaker], "-s", str(pace), "-w", str(wav), text], check=True)
            with wave.open(str(wav), "rb") as w:
                rate = w.getframerate()
                pcm += w.readframes(w.getnframes()) + b"\0\0" * (rate // 2)
        joined = Path(tmp) / "all.wav"
        with wave.open(str(joined), "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
            w.writeframes(pcm)
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(joined),
                        "-ac", "1", "-ar", "16000", "-b:a", "16k", str(mp3)], check=True)
    return mp3.stat().st_size, len(pcm) / 2 / rate


def vtt(text: str, duration: float) -> str:
    words = text.split()
    lines, cur = [], []
    for w in words:
        if len(" ".join(cur + [w])) > 60:
            lines.append(" ".join(cur))
            cur = []
        cur.append(w)
    lines.append(" ".join(cur))
    step = duration / len(lines)
    out = ["WEBVTT", ""]
    for i, line in enumerate(lines):
        a, b = i * step, (i + 1) * step
        fmt = lambda t: f"00:{int(t // 60):02d}:{t % 60:06.3f}"  # noqa: E731
        out += [f"{fmt(a)} --> {fmt(b)}", line, ""]
    return "\n".join(out)


def feed(fid: int, title: str, language: str, topic: str, score: int, desc: str) -> dict:
    return {"id": fid, "url": f"https://feeds.example.org/{fid}.xml", "title": title,
            "description": desc, "author": f"{title} team", "image": "", "artwork": "",
            "newestItemPublishTime": T0 - fid, "itunesId": 100000 + fid, "trendScore": score,
            "language": language, "categories": {"1": topic.title()}, "topic": topic}


def episode(eid: int, f: dict, title: str, audio: str | None, script: str, published: int,
            etype: str = "full", enc_type: str = "audio/mpeg", size: int = 0, duration: float | None = None,
            transcripts: list | None = None) -> dict:
    return {"id": eid, "title": title, "link": f"https://shows.example.org/{eid}",
            "description": f"{title}. An episode of {f['title']}.", "guid": f"guid-{eid}",
            "datePublished": published, "dateCrawled": published + 600,
            "enclosureUrl": f"{BASE}/audio/{audio}" if audio else "", "enclosureType": enc_type,
            "enclosureLength": size, "duration": round(duration) if duration else None,
            "explicit": 0, "episode": 1, "episodeType": etype, "season": 1, "image": "",
            "feedItunesId": f["itunesId"], "feedUrl": f["url"], "feedImage": "", "feedId": f["id"],
            "podcastGuid": f"pg-{f['id']}", "feedLanguage": f["language"], "feedDead": 0,
            "chaptersUrl": None, "transcriptUrl": None, "transcripts": transcripts or [],
            "feedTitle": f["title"], "script": script, "topic": f["topic"],
            "audio_language": "es" if f["title"] in SPANISH_SHOWS else "en"}


def main() -> None:
    (OUT / "audio").mkdir(parents=True, exist_ok=True)
    (OUT / "transcripts").mkdir(parents=True, exist_ok=True)
    feeds, episodes, score = [], [], 100
    fid, eid = 920001, 41000001
    for t_idx, (topic, shows) in enumerate(TOPICS.items()):
        for idx, (show, title, script) in enumerate(shows):
            # interleave topics in the trending order, so a small TRENDING_MAX still mixes them
            trend = 100 - 3 * (idx * len(TOPICS) + t_idx)
            f = feed(fid, show, "en-us" if idx % 2 == 0 else "en", topic, trend, f"A show about {topic}.")
            name = f"{fid}-{eid}"
            size, dur = speak(script, name)
            transcripts = None
            if show == "Night Sky Notes":  # a publisher transcript, used instead of transcribing
                (OUT / "transcripts" / f"{name}.vtt").write_text(vtt(script, dur))
                transcripts = [{"url": f"{BASE}/transcripts/{name}.vtt", "type": "text/vtt"}]
            episodes.append(episode(eid, f, title, f"{name}.mp3", script, T0 - 86400 * idx, size=size,
                                    duration=dur, transcripts=transcripts))
            if idx == 1:  # a newer trailer and an older full episode: selection must pick the right one
                episodes.append(episode(eid + 1, f, f"{show}: season two trailer", f"{name}.mp3", script,
                                        T0 - 3600, etype="trailer", size=size, duration=dur))
                episodes.append(episode(eid + 2, f, f"{show}: our very first episode", f"{name}.mp3", script,
                                        T0 - 86400 * 30, size=size, duration=dur))
            feeds.append(f)
            fid, eid = fid + 1, eid + 10
    score = 100 - 3 * len(feeds)
    specials = [
        ("Cocina con Sabor", "es", "cooking", "La paella de los domingos", SPANISH, "es"),
        ("World Kitchen Stories", "en-us", "football", "Weekend match report", SPANISH_2, "es"),
    ]
    for show, lang, topic, title, script, voice in specials:
        f = feed(fid, show, lang, topic, score, "A show in Spanish.")
        size, dur = speak(script, f"{fid}-{eid}", voice)
        episodes.append(episode(eid, f, title, f"{fid}-{eid}.mp3", script, T0 - 7200, size=size, duration=dur))
        feeds.append(f)
        fid, eid, score = fid + 1, eid + 10, score - 3
    broken = [
        ("Deep Space Dispatch", "astronomy", "A lost episode", "missing-episode.mp3", "audio/mpeg", "full"),
        ("Video Vault", "film", "Watch this one", "video-only.mp4", "video/mp4", "full"),
        ("Coming Soon Podcast", "finance", "Our trailer", f"{feeds[0]['id']}-41000001.mp3", "audio/mpeg",
         "trailer"),
        ("Static Noise Show", "sports", "A garbled upload", "not-really-audio.mp3", "audio/mpeg", "full"),
    ]
    for show, topic, title, audio, enc, etype in broken:
        f = feed(fid, show, "en", topic, score, "A show with a problem.")
        episodes.append(episode(eid, f, title, audio, "", T0 - 9000, etype=etype, enc_type=enc, size=1000))
        feeds.append(f)
        fid, eid, score = fid + 1, eid + 10, score - 3
    # two real-length episodes: 10+ minutes, three voices in turns (the long-audio path of real shows)
    for topic, (show, title, turns) in LONG.items():
        f = feed(fid, show, "en", topic, score, f"A long conversation about {topic}.")
        size, dur = speak_turns(turns, f"{fid}-{eid}")
        script = " ".join(text for _, text in turns)
        episodes.append(episode(eid, f, title, f"{fid}-{eid}.mp3", script, T0 - 5400, size=size, duration=dur))
        feeds.append(f)
        fid, eid, score = fid + 1, eid + 10, score - 3
    (OUT / "audio" / "not-really-audio.mp3").write_text("<html><body>This is not audio.</body></html>\n" * 20)
    (OUT / "catalog.json").write_text(json.dumps({"feeds": feeds, "episodes": episodes}, indent=1) + "\n")
    total = sum(p.stat().st_size for p in (OUT / "audio").iterdir())
    print(f"{len(feeds)} feeds, {len(episodes)} episodes, audio {total / 1e6:.2f} MB in {OUT}")


if __name__ == "__main__":
    main()
