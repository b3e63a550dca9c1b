"""Data contracts as plain verdicts: how many rows were checked, which broke the contract (one line each).

The stages' ``checks.py`` evaluate their contracts on what is cheap (the rows just written, the partition,
the published set) and turn the verdict into an asset check result (``runs/check_results.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

EXAMPLES = 5  # failing rows shown in the check's metadata


@dataclass(frozen=True)
class Verdict:
    checked: int
    failures: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures

    def summary(self, what: str) -> str:
        if self.passed:
            return f"{self.checked} {what} checked, all hold"
        return f"{len(self.failures)} of {self.checked} {what} break the contract: {self.failures[0]}"


def verdict(checked: int, *failures: Iterable[str]) -> Verdict:
    return Verdict(checked, tuple(f for group in failures for f in group))
