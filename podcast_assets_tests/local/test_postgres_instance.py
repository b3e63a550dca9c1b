"""The Dagster instance on PostgreSQL (Debian's server, started on a free port with a generated password): the
project writes the storage into its own dagster.yaml by the variable's name only; ``dagster-daemon run``
dequeues a launched run, its run worker and a ``dagster asset materialize`` process write to the same
database, and nothing is stored in SQLite under DAGSTER_HOME."""

import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest

from podcast_assets_tests.helpers import env_for, stop_process_group

pytestmark = pytest.mark.daemon  # runs dagster-daemon (or dagster dev) on the suite's stack

BIN = Path(sys.executable).parent


@pytest.mark.slow
def test_the_daemon_run_workers_and_the_cli_share_an_instance_on_postgres(settings, postgres, tmp_path, monkeypatch):
    import psycopg2

    url, password, dsn = postgres
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", url)  # this process reads the instance too
    tag = uuid.uuid4().hex[:8]  # a catalog of its own: the session's is read by the listener generator
    own = settings.replace(MONGO_DB=f"pg_{tag}", MONGO_RECS_DB=f"pg_recs_{tag}")
    home = tmp_path / "dagster_home"
    env = {**env_for(own), "DAGSTER_HOME": str(home), "DAGSTER_POSTGRES_URL": url}
    # any podcast-assets command writes the project's instance config; with the variable set, on Postgres
    out = subprocess.run([str(BIN / "podcast-assets"), "stack", "status"], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    config = (home / "dagster.yaml").read_text()
    assert "env: DAGSTER_POSTGRES_URL" in config and password not in config
    stopped = subprocess.run([sys.executable, str(Path(__file__).parents[1] / "stop_instigators.py")], env=env,
                             cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert stopped.returncode == 0, stopped.stderr[-2000:]  # only the launched run: no sensor starts the graph
    log = tmp_path / "daemon.log"
    daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-m", "podcast_assets.definitions"], env=env,
                              cwd=tmp_path, stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        launched = subprocess.run([str(BIN / "dagster"), "job", "launch", "-m", "podcast_assets.definitions", "-j",
                                   "ingest_job"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180)
        assert launched.returncode == 0, launched.stderr[-2000:]
        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            deadline = time.monotonic() + 300
            while True:
                [record] = instance.get_run_records(dg.RunsFilter(job_name="ingest_job"))
                if record.dagster_run.is_finished:
                    break
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(2)
            run = record.dagster_run
            assert run.status == dg.DagsterRunStatus.SUCCESS, log.read_text()[-3000:]
            kinds = [e.dagster_event.event_type_value for e in instance.all_logs(run.run_id) if e.dagster_event]
            # queued by the CLI, taken off the queue by the daemon, executed by its run worker
            assert kinds.index("PIPELINE_ENQUEUED") < kinds.index("PIPELINE_STARTING") < kinds.index("PIPELINE_SUCCESS")
            assert "SENSOR" in instance.get_daemon_heartbeats() and "QUEUED_RUN_COORDINATOR" in instance.get_daemon_heartbeats()
        # another process, dagster's own CLI, on the same instance
        materialized = subprocess.run([str(BIN / "dagster"), "asset", "materialize", "-m", "podcast_assets.definitions",
                                       "--select", "trending_podcasts"], env=env, cwd=tmp_path, capture_output=True,
                                      text=True, timeout=300)
        assert materialized.returncode == 0, materialized.stderr[-2000:]
    finally:
        stop_process_group(daemon)
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("select count(*) from runs where status = 'SUCCESS'")
            assert cur.fetchone()[0] == 2
            cur.execute("select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'")
            assert cur.fetchone()[0] >= 4  # the ingest group's assets, then trending_podcasts again
            cur.execute("select count(*) from daemon_heartbeats")
            assert cur.fetchone()[0] >= 3
    finally:
        conn.close()
    assert not list(home.rglob("*.db")), sorted(str(p) for p in home.rglob("*.db"))  # nothing in SQLite
    assert password not in log.read_text()
