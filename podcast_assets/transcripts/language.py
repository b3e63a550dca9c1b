"""The spoken language of an episode, from its audio (multilingual Whisper), before anything is transcribed."""

from __future__ import annotations

import numpy as np

from podcast_assets.transcripts.segments import SAMPLE_RATE


class NotEnglishAudio(Exception):
    def __init__(self, language: str, probability: float):
        super().__init__(f"audio language is {language!r} (p={probability:.2f}), not English")
        self.language, self.probability = language, probability


class LanguageDetector:
    def __init__(self, model_path: str, compute_type: str = "int8", threads: int = 0):
        self.model_path, self.compute_type, self.threads, self._model = model_path, compute_type, threads, None

    def detect(self, audio: np.ndarray, seconds: float = 30.0) -> tuple[str, float]:
        if self._model is None:
            from faster_whisper import WhisperModel

            self._model = WhisperModel(self.model_path, device="cpu", compute_type=self.compute_type,
                                       cpu_threads=self.threads)
        # a window from the middle avoids intros and jingles; short audio is used whole
        n = int(seconds * SAMPLE_RATE)
        start = max(0, (len(audio) - n) // 2)
        language, probability, _ = self._model.detect_language(audio[start:start + n])
        return language, float(probability)
