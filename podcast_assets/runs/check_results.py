"""A contract's verdict (``common/contracts.py``) as a Dagster asset check result the UI can show."""

from __future__ import annotations

import dagster as dg

from podcast_assets.common.contracts import EXAMPLES, Verdict


def check_result(verdict: Verdict, what: str, severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
                 **metadata) -> dg.AssetCheckResult:
    examples = "\n".join(f"- {f}" for f in verdict.failures[:EXAMPLES]) or "none"
    return dg.AssetCheckResult(
        passed=verdict.passed, severity=severity, description=verdict.summary(what),
        metadata={"checked": verdict.checked, "failed": len(verdict.failures),
                  "examples": dg.MetadataValue.md(examples), **metadata})
