"""One Dagster instance for the CLI, ``dagster dev``, ``dagster asset materialize`` and the demo.

Without DAGSTER_HOME each dagster command makes a throwaway instance, and dynamic partitions added
in one are unknown to the next (docs/architecture.md). We default it to ``<project>/.dagster_home`` and
record it in the project's ``.env``, which every dagster command loads from the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from podcast_assets.settings import DEFAULTS, settings_from_env

MARK = "# Written by podcast-assets"
_DAGSTER_YAML = """\
{mark} (podcast_assets/local/instance.py), version 7; edit freely (then remove this line to keep it).
telemetry:
  enabled: false
# the daemon evaluates the assets' freshness policies (runs/freshness.py), still opt-in in dagster 1.13
freshness:
  enabled: true
# the default launcher, able to tell when a run worker died (SIGKILL, OOM): run monitoring then
# marks its run failed, which frees the run's pool and lets the sensors request the next run
run_launcher:
  module: podcast_assets.local.run_launcher
  class: LocalRunLauncher
run_monitoring:
  enabled: true
  poll_interval_seconds: 5
  max_resume_run_attempts: 0
# a run whose worker died is run again (from its failed step) by the daemon, as many times as the run's
# dagster/max_retries tag says (the episode jobs: transcripts/sensors.py); runs whose own step failed are
# not: their retry policies already tried again, and an episode's failure is its outcome
run_retries:
  enabled: true
  max_retries: 0
  retry_on_asset_or_op_failure: false
concurrency:
  runs:
    max_concurrent_runs: 5
    # transcription is the heavy work: at most TRANSCRIPTION_RUNS such runs (this machine's cores, or the
    # deployment's transcription workers when the steps run on workers: runs/workers.py); downloads wait on
    # the network, so they have lanes of their own and never queue behind a transcription (a refused or
    # dripping episode gets its outcome within the download deadline); ingestion, embeddings, events and
    # retraining keep the fifth slot
    tag_concurrency_limits:
      - key: podcast_assets/queue
        value: transcription
        limit: {transcription_runs}
      - key: podcast_assets/queue
        value: download
        limit: 2
  pools:
    # a pool holds runs that write one table (user_events_raw): one at a time, the others queue
    granularity: run
    default_limit: 1
"""


# the production storage: run, event log and schedule storage in PostgreSQL (dagster-postgres), shared by the
# daemon, dagster dev and every run worker. Only the variable's name is written here: the URL holds a password
POSTGRES_URL_VARIABLE = "DAGSTER_POSTGRES_URL"
POSTGRES_STORAGE = f"""\
# the instance's storage in PostgreSQL ({POSTGRES_URL_VARIABLE} was set when this file was written)
storage:
  postgres:
    postgres_url:
      env: {POSTGRES_URL_VARIABLE}
"""


def instance_yaml(postgres: bool = False, transcription_runs: int = DEFAULTS.TRANSCRIPTION_RUNS) -> str:
    """The project's dagster.yaml: SQLite under DAGSTER_HOME (the local default), or PostgreSQL."""
    return (_DAGSTER_YAML.format(mark=MARK, transcription_runs=transcription_runs)
            + (POSTGRES_STORAGE if postgres else ""))


DAGSTER_YAML = instance_yaml()  # the local default, as the tests' own instances write it


def ensure_dagster_home(project_root: Path | None = None) -> Path:
    root = (project_root or Path.cwd()).resolve()
    home = Path(os.environ.get("DAGSTER_HOME") or root / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    # ours and older (or missing): written afresh; a file a user took over (no mark) is left alone
    wanted = instance_yaml(postgres=bool(os.environ.get(POSTGRES_URL_VARIABLE)),
                           transcription_runs=settings_from_env().TRANSCRIPTION_RUNS)
    if not config.exists() or (config.read_text().startswith(MARK) and config.read_text() != wanted):
        config.write_text(wanted)
    os.environ["DAGSTER_HOME"] = str(home)
    env_file = root / ".env"
    if (root / "pyproject.toml").exists():
        lines = env_file.read_text().splitlines() if env_file.exists() else []
        if not any(line.startswith("DAGSTER_HOME=") for line in lines):
            env_file.write_text("\n".join(lines + [f"DAGSTER_HOME={home}"]) + "\n")
    return home
