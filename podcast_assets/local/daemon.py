"""The Dagster daemon on the local default: found when one already serves the instance, else started.

The demo uses it to run the graph the way ``dagster dev`` does: the daemon's sensors, schedules,
automation and run queue do the work. Two daemons on one instance would both evaluate every sensor,
so a daemon that is already heartbeating (``dagster dev`` open beside the demo) is used instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HEARTBEAT_FRESH_S = 45  # the daemon heartbeats every 30 s


def running_daemon(instance) -> bool:
    """A daemon heartbeat on this instance recent enough that its daemon is alive."""
    now = time.time()
    return any(now - beat.timestamp < HEARTBEAT_FRESH_S for beat in instance.get_daemon_heartbeats().values())


def start_daemon(log_file: Path, module: str = "podcast_assets.definitions") -> subprocess.Popen:
    """``dagster-daemon run`` for ``module`` in its own process group, its output to ``log_file``."""
    exe = Path(sys.executable).parent / "dagster-daemon"
    command = [str(exe) if exe.exists() else shutil.which("dagster-daemon") or "dagster-daemon", "run", "-m", module]
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop_process_group(proc: subprocess.Popen, timeout: float = 60) -> None:
    """SIGTERM a process started with ``start_new_session=True`` and everything it started; SIGKILL
    what lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def stop_daemon(proc: subprocess.Popen, instance, timeout: float = 60) -> None:
    """Stop the daemon and what it started, and forget its heartbeats (so the next demo does not take a
    stopped daemon for a running one)."""
    stop_process_group(proc, timeout)
    instance.wipe_daemon_heartbeats()
