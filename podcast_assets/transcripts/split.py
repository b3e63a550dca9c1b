"""Where to cut long audio into parts for parallel workers: at its quietest moments, so no word is cut."""

from __future__ import annotations

import numpy as np

from podcast_assets.transcripts.segments import SAMPLE_RATE


def quiet_cuts(audio: np.ndarray, parts: int, search_sec: float = 10.0, frame_sec: float = 0.05) -> list[tuple[int, int]]:
    """``parts`` contiguous sample ranges covering the audio, each cut at the quietest 50 ms within
    ``search_sec`` of the even split (a pause between sentences in speech)."""
    n = len(audio)
    if parts < 2 or n < parts * 2 * search_sec * SAMPLE_RATE:
        return [(0, n)]
    frame, radius = int(frame_sec * SAMPLE_RATE), int(search_sec * SAMPLE_RATE)
    cuts = [0]
    for i in range(1, parts):
        lo = max(cuts[-1] + frame, i * n // parts - radius)
        frames = (min(n - frame, i * n // parts + radius) - lo) // frame
        energy = (audio[lo:lo + frames * frame].reshape(frames, frame).astype(np.float64) ** 2).mean(axis=1)
        cuts.append(lo + int(np.argmin(energy)) * frame + frame // 2)
    cuts.append(n)
    return list(zip(cuts[:-1], cuts[1:]))
