"""Episode steps on workers of other hosts (runs/workers.py), live: the daemon on PostgreSQL, Redis as the broker,
two ``podcast-assets worker`` processes whose data dirs are their own, and ``podcast-assets demo`` watching the
daemon take an empty deployment to neighbours and recommendations. Every step of the episode jobs runs on a
worker; the daemon's host holds no audio and no model."""

import json
import secrets
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from podcast_assets_tests.conftest import free_port, stack_settings
from podcast_assets_tests.helpers import env_for, stop_process_group

BIN = Path(sys.executable).parent
EPISODE_JOBS = ("episode_download_job", "episode_transcription_job")


def test_the_local_stack_runs_redis_for_a_broker_on_this_machine(tmp_path):
    from podcast_assets.local.stack import Stack

    port = free_port()
    stack = Stack(stack_settings(tmp_path, CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0"), with_podcast_index=False)
    assert [s.name for s in stack.services] == ["kafka", "mongodb", "redis"]
    remote = Stack(stack_settings(tmp_path, CELERY_BROKER_URL="redis://broker.internal:6379/0"), with_podcast_index=False)
    assert "redis" not in [s.name for s in remote.services]  # another host's broker is not ours to start


def _rows_holding(dsn: str, text: str) -> list[str]:
    """The tables of the instance's database with a row that holds ``text``."""
    import psycopg2

    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [t for (t,) in cur.fetchall()]
        found = []
        for table in tables:
            cur.execute(f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE %s', (f"%{text}%",))
            found += [table] if cur.fetchone()[0] else []
    return found


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _celery_steps(instance, run_id: str) -> tuple[set[str], dict[str, str]]:
    """The steps a run started, and the celery worker each was executed by (dagster-celery's engine event)."""
    started, workers = set(), {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type_value == "STEP_START":
            started.add(event.step_key)
        elif event.event_type_value == "ENGINE_EVENT" and "in celery worker" in (event.message or ""):
            meta = {k: v.value for k, v in event.engine_event_data.metadata.items()}
            workers[event.step_key] = meta["Celery worker"]
    return started, workers


@pytest.mark.slow
def test_the_daemon_on_postgres_sends_every_episode_step_to_two_workers(postgres, tmp_path, monkeypatch):
    url, _, dsn = postgres
    root = tmp_path
    password = secrets.token_urlsafe(16)  # the broker's: it must show up in no log, run or event
    s = stack_settings(root / "daemon", STORAGE_URI=str(root / "shared"),
                       CELERY_BROKER_URL=f"redis://:{password}@127.0.0.1:{free_port()}/0")
    home = root / "dagster_home"
    env = {**env_for(s), "DAGSTER_HOME": str(home), "DAGSTER_POSTGRES_URL": url, "MONGO_TIMEOUT_MS": "1500"}
    for k in ("PODCAST_INDEX_API_KEY", "PODCAST_INDEX_API_SECRET"):
        env.pop(k, None)
    up = subprocess.run([str(BIN / "podcast-assets"), "stack", "up"], env=env, cwd=root, capture_output=True,
                        text=True, timeout=120)
    assert up.returncode == 0 and "redis: started" in up.stdout, up.stdout + up.stderr
    workers = {}
    try:
        for name in ("w1", "w2"):  # each with its own data dir, and no Dagster home of the daemon's
            wenv = {**{k: v for k, v in env.items() if k != "DAGSTER_HOME"}, "PODCAST_DATA_DIR": str(root / name)}
            (root / name).mkdir()
            workers[name] = subprocess.Popen(
                [str(BIN / "podcast-assets"), "worker", "--name", name], env=wenv, cwd=root / name,
                stdout=open(root / f"{name}.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True)
        out = subprocess.run([str(BIN / "podcast-assets"), "demo", "--json", "--timeout", "15"], env=env, cwd=root,
                             capture_output=True, text=True, timeout=20 * 60)
        logs = "".join((root / f"{n}.log").read_text(errors="replace")[-1500:] for n in workers)
        assert out.returncode == 0 and "the graph is complete" in out.stdout, out.stdout[-4000:] + logs
        totals = json.loads(out.stdout.strip().splitlines()[-1])
        assert totals["transcripts"] >= 15 and totals["mongo_similarities"] > 0 and totals["mongo_als_top_n"] > 0

        monkeypatch.setenv("DAGSTER_POSTGRES_URL", url)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            runs = [r for job in EPISODE_JOBS for r in instance.get_runs(dg.RunsFilter(job_name=job))]
            on = {}
            for run in runs:
                started, by = _celery_steps(instance, run.run_id)
                assert started and started <= set(by), (run.job_name, started, by)  # no step ran in the run worker
                on.update({(run.job_name, run.run_id, step): worker for step, worker in by.items()})
            transcribing = {w for (job, _, step), w in on.items() if step == "transcripts"}
            assert {w.split("@")[0] for w in transcribing} == {"w1", "w2"}, on
            # the models: loaded once in each worker's process, kept for its later steps
            mats = instance.fetch_materializations(dg.AssetKey("transcripts"), limit=1000).records
            by_process: dict[str, tuple[set, set]] = {}
            for record in mats:
                meta = {k: v.value for k, v in record.asset_materialization.metadata.items()}
                if meta.get("status") == "transcribed":
                    loaded, steps = by_process.setdefault(meta["process"], (set(), set()))
                    loaded.add(meta["models_loaded_by_run"])
                    steps.add(record.run_id)
        assert len(by_process) == 2, by_process
        worker_pids = {w.pid for w in workers.values()}
        for process, (loaded, steps) in by_process.items():
            assert _parent(int(process.rsplit(":", 1)[1])) in worker_pids  # a worker's pool process
            assert len(loaded) == 1, (process, loaded, steps)
        assert max(len(steps) for _, steps in by_process.values()) >= 2, by_process

        # files: the daemon's data dir has neither audio nor models; each worker has its own model cache; the
        # tables and transcripts are in the shared storage, and no staged WAV was left behind
        assert not (root / "daemon" / "audio").exists() and not (root / "daemon" / "models").exists()
        assert not (root / "daemon" / "delta").exists() and (root / "shared" / "delta" / "transcripts").is_dir()
        for name in workers:
            assert (root / name / "models").is_dir() and not list((root / name / "audio").glob("*.wav"))
        assert not list((root / "shared" / "audio").glob("*.wav"))
        assert len(list((root / "shared" / "transcripts").glob("*.vtt"))) == totals["transcripts"]

        # the broker's password: in none of the logs, nor anywhere in the instance's database
        texts = [out.stdout, out.stderr, *(p.read_text(errors="replace") for p in root.rglob("*.log"))]
        assert not [t for t in texts if password in t]
        assert not _rows_holding(dsn, password)
    finally:
        for proc in workers.values():
            stop_process_group(proc)
        subprocess.run([str(BIN / "podcast-assets"), "stack", "down"], env=env, cwd=root, capture_output=True,
                       timeout=120)
