"""Dagster's default run launcher, plus the health check its run monitoring needs on one machine.

Dagster's run monitoring marks a run failed when its worker is gone, but only for launchers that
can check their workers, and the default launcher cannot. Without it a run worker killed with
SIGKILL leaves its run STARTED for ever, and the run's pool slot with it. On the local default the
worker is a process on this machine: its pid is in the run's first engine event, and it is alive or
not. ``local/instance.py`` writes this launcher and ``run_monitoring`` into the project's dagster.yaml.
"""

from __future__ import annotations

from pathlib import Path

from dagster._core.events import DagsterEventType
from dagster._core.launcher import DefaultRunLauncher
from dagster._core.launcher.base import CheckRunHealthResult, WorkerStatus


def process_alive(pid: int) -> bool:
    """Running (or sleeping): a zombie, killed but not yet reaped by its parent, counts as gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return False
    return fields[0] not in ("Z", "X")


class LocalRunLauncher(DefaultRunLauncher):
    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def _worker_pid(self, run) -> int | None:
        for entry in self._instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT):
            data = entry.dagster_event.engine_event_data if entry.dagster_event else None
            pid = data.metadata.get("pid") if data and data.metadata else None
            if pid is not None:
                return int(pid.value)
        return None

    def check_run_worker_health(self, run) -> CheckRunHealthResult:
        pid = self._worker_pid(run)
        if pid is None:
            return CheckRunHealthResult(WorkerStatus.UNKNOWN, "the run worker has not reported its pid yet")
        if process_alive(pid):
            return CheckRunHealthResult(WorkerStatus.RUNNING, run_worker_id=str(pid))
        return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker process {pid} is gone (killed?)",
                                    run_worker_id=str(pid))
