"""Word error rate as speech benchmarks compute it: jiwer on text both sides through Whisper's English
normaliser (case, punctuation, fillers, contractions, British spellings, spelled-out numbers as digits).

The normaliser is OpenAI Whisper's, as packaged by ``whisper-normalizer`` with its English spelling map
(the same code as ``transformers``' copy, which ships without the map). Tests and ``bench/`` import it
from here; both are dev tools, so it lives beside the tests, not in the product.
"""

from __future__ import annotations

import functools

import jiwer


@functools.cache
def _normaliser():
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


def normalise(text: str) -> str:
    return _normaliser()(text)


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref.split():  # jiwer refuses an empty reference
        return 0.0 if not hyp.split() else 1.0
    return jiwer.wer(ref, hyp)
