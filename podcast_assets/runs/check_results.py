"""A contract's verdict (``common/contracts.py``) as a Dagster asset check result the UI can show."""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg

from podcast_assets.common.contracts import EXAMPLES, Verdict


@dataclass(frozen=True)
class Latest:
    """What a check needs of its asset's latest materialisation: the metadata values it recorded, and its
    run's tags and start time (empty and ``None`` before the first, or for a runless event)."""

    metadata: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)
    started: float | None = None
    partition: str | None = None


def latest_materialization(context, asset_key: dg.AssetKey) -> Latest:
    return (recent_materializations(context, asset_key, 1) or [Latest()])[0]


def recent_materializations(context, asset_key: dg.AssetKey, n: int) -> list[Latest]:
    """The asset's ``n`` latest materialisations, newest first."""
    out = []
    for entry in context.instance.fetch_materializations(asset_key, limit=n).records:
        event = entry.event_log_entry
        materialization = event.asset_materialization
        record = context.instance.get_run_record_by_id(event.run_id) if event.run_id else None
        out.append(Latest({k: v.value for k, v in materialization.metadata.items()},
                          dict(record.dagster_run.tags) if record else {}, record.start_time if record else None,
                          materialization.partition))
    return out


def last_evaluation(context, check_key: dg.AssetCheckKey) -> dict | None:
    """The metadata values of the check's latest evaluation before this one (None if it never ran)."""
    for record in context.instance.event_log_storage.get_asset_check_execution_history(check_key, limit=20):
        # a run killed before its check ran left only the check's plan, no evaluation
        if isinstance(record.evaluation, dg.AssetCheckEvaluation) and record.run_id != context.run.run_id:
            return {k: v.value for k, v in record.evaluation.metadata.items()}
    return None


def not_checked(why: str) -> dg.AssetCheckResult:
    """A check that could not look (a service down): a warning that says so, not a pass or a failure."""
    return dg.AssetCheckResult(passed=True, severity=dg.AssetCheckSeverity.WARN, description=f"not checked: {why}")


def check_result(verdict: Verdict, what: str, severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
                 **metadata) -> dg.AssetCheckResult:
    examples = "\n".join(f"- {f}" for f in verdict.failures[:EXAMPLES]) or "none"
    return dg.AssetCheckResult(
        passed=verdict.passed, severity=severity, description=verdict.summary(what),
        metadata={"checked": verdict.checked, "failed": len(verdict.failures),
                  "examples": dg.MetadataValue.md(examples), **metadata})
