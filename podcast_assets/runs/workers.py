"""Episode steps on workers of other hosts: Dagster's celery executor (``dagster-celery``) over a Redis broker.

With ``CELERY_BROKER_URL`` set, the episode jobs' run workers (still launched by the daemon on its host) only
orchestrate: each step goes to the broker as a task, and a worker started with ``podcast-assets worker`` on any
host executes it. The worker loads the code location itself, with its own environment: its own
``PODCAST_DATA_DIR`` (scratch audio, model cache) and the deployment's shared ``STORAGE_URI``, Kafka, MongoDB
and Dagster instance (``DAGSTER_POSTGRES_URL``: a worker writes the step's events to the run's storage, so the
instance must be one every host reaches). Downloads stage their WAV in shared storage for whichever worker
transcribes it (``DataDir.stage_audio``).

Each worker takes one step at a time (``--concurrency 1``) in one long-lived process, which keeps the
transcription models loaded from one step to the next (``WhisperResource.kept_pipeline``); scale out by
starting more workers, each using the cores of its host.
"""

from __future__ import annotations

import logging

import dagster as dg

from podcast_assets.settings import Settings

# A step still unacknowledged this long is handed to another worker (Redis's visibility timeout): longer than any
# step (a transcription run's batch of long episodes), so a step still running is never run twice; it is also how
# long a step lost with its whole host waits before it runs again.
VISIBILITY_TIMEOUT_S = 12 * 3600
# a step whose process died (SIGKILL, out of memory) is sent again at most this often, this many seconds later;
# then it fails, and so does its run, which the daemon's run retries and the episodes' outcomes then take over
STEP_RESENDS, RESEND_DELAY_S = 2, 5


def celery_settings() -> dict:
    """The same Celery settings on both sides: the run worker that sends the steps and the workers that take them.
    A step is acknowledged when it has ended, not when it starts, so one whose process died runs again (the
    episode steps are safe to repeat: transcripts/assets.py). A worker's stdout is not redirected into celery's
    log: the steps' Dagster logs go to it as they are."""
    from dagster_celery.defaults import broker_transport_options  # replaced whole by ours: its retries kept

    return {"broker_connection_retry_on_startup": True, "worker_prefetch_multiplier": 1,
            "broker_transport_options": {**broker_transport_options, "visibility_timeout": VISIBILITY_TIMEOUT_S},
            "task_acks_late": True, "task_reject_on_worker_lost": True, "task_retry_on_worker_lost": True,
            "worker_redirect_stdouts": False}


def _value_or_variable(settings: Settings, name: str):
    """The executor config of a URL that may hold a password: the variable's name when it came from the
    environment (the run worker reads it there; Dagster never stores or shows it), else the value."""
    return {"env": name} if name in settings.from_environment else getattr(settings, name)


def celery_workers_executor(settings: Settings) -> dg.ExecutorDefinition:
    """``dagster_celery.celery_executor`` configured with the deployment's broker and result backend."""
    from dagster_celery import celery_executor

    backend = "CELERY_BACKEND_URL" if settings.CELERY_BACKEND_URL else "CELERY_BROKER_URL"
    return celery_executor.configured(
        {"broker": _value_or_variable(settings, "CELERY_BROKER_URL"), "backend": _value_or_variable(settings, backend),
         "config_source": celery_settings()},
        name="celery_workers")


def start_worker(settings: Settings, name: str, concurrency: int = 1, loglevel: str = "INFO") -> None:
    """A celery worker (blocks until stopped) that takes the episode steps from the deployment's broker."""
    from celery import signals
    from dagster_celery.executor import CeleryExecutor
    from dagster_celery.make_app import make_app
    from dagster_celery.tasks import create_task

    if not settings.on_workers:
        raise ValueError("CELERY_BROKER_URL is not set: there is no broker to take steps from")
    executor = CeleryExecutor.for_cli(broker=settings.CELERY_BROKER_URL,
                                      backend=settings.CELERY_BACKEND_URL or settings.CELERY_BROKER_URL,
                                      config_source=celery_settings())
    app = make_app(executor.app_args())
    # dagster-celery's step task, the one the executor sends; resent a bounded number of times when its process dies
    create_task(app, max_retries=STEP_RESENDS, default_retry_delay=RESEND_DELAY_S)
    # the steps' own Dagster logs say what happened; celery's line per task would repeat every event it returns
    signals.after_setup_logger.connect(
        lambda **_: logging.getLogger("celery.app.trace").setLevel(logging.WARNING), weak=False)
    app.worker_main(["worker", f"--hostname={name}@%h", f"--concurrency={concurrency}", "--pool=prefork",
                     f"--loglevel={loglevel}", "--without-gossip", "--without-mingle", "--queues=dagster"])
