"""One Dagster instance for the CLI, ``dagster dev``, ``dagster asset materialize`` and the demo.

Without DAGSTER_HOME each dagster command makes a throwaway instance, and dynamic partitions added
in one are unknown to the next (docs/architecture.md). We default it to ``<project>/.dagster_home`` and
record it in the project's ``.env``, which every dagster command loads from the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

DAGSTER_YAML = """\
# Written by podcast-assets on first use; edit freely.
telemetry:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 3
"""


def ensure_dagster_home(project_root: Path | None = None) -> Path:
    root = (project_root or Path.cwd()).resolve()
    home = Path(os.environ.get("DAGSTER_HOME") or root / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    env_file = root / ".env"
    if (root / "pyproject.toml").exists():
        lines = env_file.read_text().splitlines() if env_file.exists() else []
        if not any(line.startswith("DAGSTER_HOME=") for line in lines):
            env_file.write_text("\n".join(lines + [f"DAGSTER_HOME={home}"]) + "\n")
    return home
