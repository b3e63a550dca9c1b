"""Episode steps on workers of other hosts (runs/workers.py), live: the daemon on PostgreSQL, Redis as the broker,
two ``podcast-assets worker`` processes whose data dirs are their own, and ``podcast-assets demo`` watching the
daemon take an empty deployment to neighbours and recommendations. Every step of the episode jobs runs on a
worker; the daemon's host holds no audio and no model."""

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from podcast_assets_tests.conftest import free_port, stack_settings
from podcast_assets_tests.helpers import env_for, stop_process_group

pytestmark = pytest.mark.daemon  # runs dagster-daemon (or dagster dev) on the suite's stack

BIN = Path(sys.executable).parent
# Dagster's console log line of a transcription step starting: its run and the process executing it
STEP_START = re.compile(r"episode_transcription_job - ([0-9a-f-]{36}) - (\d+) - transcripts - STEP_START")
EPISODE_JOBS = ("episode_download_job", "episode_transcription_job")
TEXT_FILES = {".log", ".out", ".err", ".txt", ".json", ".yaml", ".conf", ".vtt", ".env"}


def test_the_local_stack_runs_redis_for_a_broker_on_this_machine(tmp_path):
    from podcast_assets.local.stack import Stack

    port = free_port()
    stack = Stack(stack_settings(tmp_path, CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0"), with_podcast_index=False)
    assert [s.name for s in stack.services] == ["kafka", "mongodb", "redis"]
    remote = Stack(stack_settings(tmp_path, CELERY_BROKER_URL="redis://broker.internal:6379/0"), with_podcast_index=False)
    assert "redis" not in [s.name for s in remote.services]  # another host's broker is not ours to start
    guarded = Stack(stack_settings(tmp_path, CELERY_BROKER_URL=f"redis://:pa%22ss@127.0.0.1:{port}/0"),
                    with_podcast_index=False)
    redis = next(s for s in guarded.services if s.name == "redis")
    # the password in an owner-only file the server reads, never on its command line (ps shows that to all)
    assert not [a for a in redis.command if 'pa"ss' in a]
    assert redis.config[1] == 'requirepass "pa\\"ss"\n'


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


def _kill_first_transcription(log: Path, workers: dict, demo: subprocess.Popen) -> tuple[str, int]:
    """SIGKILL the pool process of worker w1 (logging to ``log``) a few seconds into its first transcription step;
    the step's run and the killed pid. Fails at once when a worker has exited."""
    worker_pid = workers["w1"].pid
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and demo.poll() is None:
        dead = [n for n, w in workers.items() if w.poll() is not None]
        assert not dead, f"worker {dead} exited: " + "".join(log.with_name(f"{n}.log").read_text()[-2000:] for n in dead)
        found = STEP_START.search(log.read_text(errors="replace")) if log.exists() else None
        if found:
            run_id, pid = found.group(1), int(found.group(2))
            assert _parent(pid) == worker_pid
            time.sleep(3)  # into the step: the models load, the audio is read
            os.kill(pid, signal.SIGKILL)
            return run_id, pid
        time.sleep(0.5)
    raise AssertionError(f"no transcription step started on the worker: {log.read_text()[-2000:]}")


def _run_partitions(instance, run) -> list[str]:
    if run.tags.get("dagster/partition"):
        return [run.tags["dagster/partition"]]
    every = instance.get_dynamic_partitions("episodes")
    start, end = run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"]
    return every[every.index(start):every.index(end) + 1]


def _process_ids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:  # ended meanwhile
        return ""


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
    workers, demo = {}, None
    try:
        for name in ("w1", "w2"):  # each with its own data dir, and no Dagster home of the daemon's
            # the two "hosts" share this machine's cores: one transcription thread each
            wenv = {**{k: v for k, v in env.items() if k != "DAGSTER_HOME"}, "PODCAST_DATA_DIR": str(root / name),
                    "WHISPER_THREADS": "1"}
            (root / name).mkdir()
            workers[name] = subprocess.Popen(
                [str(BIN / "podcast-assets"), "worker", "--name", name], env=wenv, cwd=root / name,
                stdout=open(root / f"{name}.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True)
        demo = subprocess.Popen([str(BIN / "podcast-assets"), "demo", "--json", "--timeout", "15"], env=env, cwd=root,
                                stdout=open(root / "demo.out", "w"), stderr=subprocess.STDOUT)
        # a fault: the process executing w1's first transcription step is killed mid-step
        killed_run, killed_pid = _kill_first_transcription(root / "w1.log", workers, demo)
        # every process is up now (stack, daemon, run workers, celery workers): none shows the password to ps
        assert not [pid for pid in _process_ids() if password in _cmdline(pid)]
        demo.wait(timeout=20 * 60)
        out = subprocess.CompletedProcess(demo.args, demo.returncode, (root / "demo.out").read_text(), "")
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
            # the killed step went back on the queue and ran again: its run succeeded, its episodes transcribed
            run = instance.get_run_by_id(killed_run)
            assert run.status == dg.DagsterRunStatus.SUCCESS
            executions = [e for e in instance.all_logs(killed_run) if e.dagster_event and e.dagster_event.step_key ==
                          "transcripts" and "in celery worker" in (e.dagster_event.message or "")]
            assert len(executions) == 2, executions
            episodes = _run_partitions(instance, run)
            # the models: loaded once in each worker's process, kept for its later steps
            mats = instance.fetch_materializations(dg.AssetKey("transcripts"), limit=1000).records
            by_process: dict[str, tuple[set, set]] = {}
            for record in mats:
                meta = {k: v.value for k, v in record.asset_materialization.metadata.items()}
                if meta.get("status") == "transcribed":
                    loaded, steps = by_process.setdefault(meta["process"], (set(), set()))
                    loaded.add(meta["models_loaded_by_run"])
                    steps.add(record.run_id)
        worker_pids = {w.pid for w in workers.values()}
        for process, (loaded, steps) in by_process.items():
            assert _parent(int(process.rsplit(":", 1)[1])) in worker_pids  # a worker's pool process
            assert len(loaded) == 1, (process, loaded, steps)
        assert max(len(steps) for _, steps in by_process.values()) >= 2, by_process
        assert killed_pid not in {int(p.rsplit(":", 1)[1]) for p in by_process}  # the killed process committed nothing

        from deltalake import DeltaTable

        rows = DeltaTable(str(root / "shared" / "delta" / "transcripts")).to_pandas()
        assert rows["episode_id"].is_unique and len(rows) == totals["episodes"]  # one outcome each
        outcomes = dict(zip(rows["episode_id"], rows["status"]))
        assert {outcomes[e] for e in episodes} <= {"transcribed", "skipped_not_english"}, outcomes

        # files: the daemon's data dir has neither audio nor models; each worker has its own model cache; the
        # tables and transcripts are in the shared storage, and no staged WAV was left behind
        assert not (root / "daemon" / "audio").exists() and not (root / "daemon" / "models").exists()
        assert not (root / "daemon" / "delta").exists() and (root / "shared" / "delta" / "transcripts").is_dir()
        for name in workers:
            assert (root / name / "models").is_dir() and not list((root / name / "audio").rglob("*.wav"))
        assert not list((root / "shared" / "audio").glob("*.wav"))
        assert len(list((root / "shared" / "transcripts").glob("*.vtt"))) == totals["transcripts"]

        # the broker's password: in none of the logs (the services', the workers', the runs' compute logs) nor
        # files, nor anywhere in the instance's database; Redis's config file is gone with Redis
        assert not _rows_holding(dsn, password)
        subprocess.run([str(BIN / "podcast-assets"), "stack", "down"], env=env, cwd=root, capture_output=True,
                       timeout=120)
        assert not list(root.rglob("redis.conf"))
        texts = [p for p in root.rglob("*") if p.is_file() and p.suffix in TEXT_FILES]
        assert len([p for p in texts if p.suffix in (".out", ".err")]) > 0  # the compute logs were read too
        assert not [p for p in texts if password in p.read_text(errors="replace")]
    finally:
        if demo is not None and demo.poll() is None:  # interrupted: the demo stops the daemon it started
            demo.send_signal(signal.SIGINT)
            try:
                demo.wait(timeout=90)
            except subprocess.TimeoutExpired:
                demo.kill()
        for proc in workers.values():
            stop_process_group(proc)
        subprocess.run([str(BIN / "podcast-assets"), "stack", "down"], env=env, cwd=root, capture_output=True,
                       timeout=120)
