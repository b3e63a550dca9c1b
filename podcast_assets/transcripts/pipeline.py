"""From a WAV file to a Transcript: the audio language check, then the publisher's transcript or Whisper."""

from __future__ import annotations

from pathlib import Path

from podcast_assets.transcripts.audio import read_wav16k
from podcast_assets.transcripts.formats import TranscriptFormatError, check_times, parse_transcript
from podcast_assets.transcripts.language import LanguageDetector, NotEnglishAudio
from podcast_assets.transcripts.segments import SAMPLE_RATE, Transcript, clean_spacing
from podcast_assets.transcripts.whisper import Transcriber, WhisperOptions


class TranscriptionPipeline:
    """Holds the models (each loaded on first use) across episodes: a run that transcribes a batch of
    episodes loads them once."""

    def __init__(self, options: WhisperOptions, language_model_path: str, model_name: str,
                 compute_type: str = "int8", min_english_probability: float = 0.5, threads: int = 0):
        self.model_name, self.min_english_probability = model_name, min_english_probability
        self.transcriber = Transcriber(options, model_name=model_name)
        self.detector = LanguageDetector(language_model_path, compute_type, threads)

    def transcribe(self, wav: Path, publisher: tuple[str, str] | None = None, progress=None) -> Transcript:
        """Raises NotEnglishAudio for audio in another language (nothing is transcribed then)."""
        audio = read_wav16k(wav)  # the one decode was to_wav16k's: language check and Whisper share this
        duration = round(len(audio) / SAMPLE_RATE, 2)
        if not publisher:
            self.transcriber.prepare(audio)  # its workers load while the language is checked
        language, probability = self.detector.detect(audio)
        if language != "en" or probability < self.min_english_probability:
            raise NotEnglishAudio(language, probability)
        if publisher:
            text, kind = publisher
            try:
                segments = check_times(parse_transcript(text, kind), duration)
                return Transcript(clean_spacing(" ".join(s.text for s in segments)), segments, language,
                                  probability, duration, model=f"publisher:{kind}", source="publisher")
            except Exception as exc:  # any fault of the publisher's file is the file's, not the episode's
                why = str(exc) if isinstance(exc, TranscriptFormatError) else f"unreadable: {type(exc).__name__}"
                if progress:
                    progress(f"publisher transcript unusable ({why}); transcribing instead")
        text, segments = self.transcriber.transcribe(audio, progress=progress)
        return Transcript(text, segments, language, probability, duration, model=self.model_name)

    def close(self) -> None:
        self.transcriber.close()
