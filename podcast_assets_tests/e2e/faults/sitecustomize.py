"""Test-only fault injection for the daemon fault test (``test_daemon_faults.py``), loaded by every Python
process the test starts (``PYTHONPATH``). With ``FAULT_PLAN`` set, named points of the ingestion path
count their hits across processes and SIGKILL the process (and, where the plan says so, its run worker
parent) at the hits the plan lists. Each kill is written to ``<plan>.log`` first. A hit planned as
``late`` makes that DLQ publish read the topic's last batches too late, as on a busy machine: the broker's
under-reported ends are all it has. On the transcription path (``test_end_to_end.py``), a run worker is killed as it
starts an episode or just after it recorded an episode's outcome (``run worker``), and MongoDB is killed in the
middle of a neighbour write, after its upserts and before the superseded pairs are deleted (``mongodb``: the pid in
``FAULT_MONGO_PID_FILE``). Production code has no hooks: this wraps its functions from outside."""

import json
import os

PLAN = os.environ.get("FAULT_PLAN")

if PLAN:
    import fcntl
    import signal

    from pymongo.collection import Collection

    from podcast_assets.events import assets, dead_letters, exactly_once
    from podcast_assets.resources.kafka_reader import KafkaReader, KafkaUnavailable
    from podcast_assets.transcripts import assets as transcript_assets

    def hit(point: str) -> None:
        with open(PLAN + ".state", "a+") as state:
            fcntl.flock(state, fcntl.LOCK_EX)
            state.seek(0)
            counts = json.loads(state.read() or "{}")
            counts[point] = counts.get(point, 0) + 1
            state.seek(0)
            state.truncate()
            state.write(json.dumps(counts))
            state.flush()
        with open(PLAN) as f:
            plan = json.load(f)
        kill = plan.get(point, {}).get(str(counts[point]))
        if kill == "late":
            with open(PLAN + ".log", "a") as log:
                log.write(f"{point} hit {counts[point]}: the last batches read too late (pid {os.getpid()})\n")
            return kill
        if kill == "mongodb":
            pid = int(open(os.environ["FAULT_MONGO_PID_FILE"]).read().strip())
            with open(PLAN + ".log", "a") as log:
                log.write(f"{point} hit {counts[point]}: SIGKILL mongodb (pid {pid})\n")
            os.killpg(pid, signal.SIGKILL)
            return kill
        if kill:
            victims = [os.getppid(), os.getpid()] if kill == "run worker and step" else [os.getpid()]
            with open(PLAN + ".log", "a") as log:
                log.write(f"{point} hit {counts[point]}: SIGKILL {kill} (pids {victims})\n")
            for pid in victims:
                os.kill(pid, signal.SIGKILL)

    real_commit, real_publish, real_record = exactly_once.commit, assets.publish_dead_letters, dead_letters.record_progress

    def commit(target, table_uri, *args, **kwargs):
        hit("before dead-letter commit" if table_uri.endswith("dead_letters") else "before raw commit")
        return real_commit(target, table_uri, *args, **kwargs)

    real_read, late = KafkaReader._read, []

    def read(self, topic, starts, into, timeout_s, strict):
        if late and into is None:  # the read of the last batches, which finds the true ends
            if strict:
                raise KafkaUnavailable(f"timed out reading {topic} partitions {sorted(starts)} (injected)")
            return {}
        return real_read(self, topic, starts, into, timeout_s, strict)

    def publish_dead_letters(*args, **kwargs):
        hit("after the commits, before the DLQ publish")
        late[:] = [True] if hit("the DLQ publish reads the topic's ends") == "late" else []
        try:
            return real_publish(*args, **kwargs)
        finally:
            late.clear()

    def record_progress(*args, **kwargs):
        hit("after the DLQ send, before recording it")
        return real_record(*args, **kwargs)

    KafkaReader._read = read
    exactly_once.commit = commit
    assets.publish_dead_letters = publish_dead_letters
    dead_letters.record_progress = record_progress

    real_transcribe, real_outcome = transcript_assets._transcribe_episode, transcript_assets.record
    real_delete_many = Collection.delete_many

    def transcribe_episode(context, episode_id, *args, **kwargs):
        hit(f"transcribing {episode_id}")  # counted whether or not planned: how often each episode was transcribed
        return real_transcribe(context, episode_id, *args, **kwargs)

    def record_outcome(uri, rows):
        real_outcome(uri, rows)
        for row in rows:
            hit(f"recorded {row['episode_id']}")

    def delete_many(self, *args, **kwargs):
        if self.name == "similarities":
            hit("neighbours upserted, before the superseded ones are deleted")
        return real_delete_many(self, *args, **kwargs)

    transcript_assets._transcribe_episode = transcribe_episode
    transcript_assets.record = record_outcome
    Collection.delete_many = delete_many
