"""The ``podcast-assets`` command."""

from __future__ import annotations

import argparse
import os
import sys

from podcast_assets import cli_users as users_cli
from podcast_assets.settings import settings_from_env


def _stack(args) -> int:
    from podcast_assets.local.stack import Stack, StackError

    stack = Stack(settings_from_env())
    try:
        if args.action == "up":
            stack.up()
        elif args.action == "down":
            stack.down()
            return 0
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for row in stack.status():
        note = f"  ({row['note']})" if row["note"] else ""
        print(f"{row['service']:<14} {row['address']:<22} {row['state']}{note}")
    return 0


def _transcribe(args) -> int:
    """Each source in turn with the models loaded once; the exit code is the worst of them (2 unreadable,
    3 not English). With ``--json``, one JSON object per source, one per line."""
    import json
    import tempfile
    from pathlib import Path

    from podcast_assets.resources.bundled_models import transcription_pipeline
    from podcast_assets.transcripts.audio import to_wav16k
    from podcast_assets.transcripts.fetch import AudioError
    from podcast_assets.transcripts.language import NotEnglishAudio
    from podcast_assets.transcripts.whisper import thread_share

    s = settings_from_env()  # the models straight from the settings: no Dagster to import for a file
    service = transcription_pipeline(s.WHISPER_MODEL, s.LANGUAGE_MODEL, s.data_dir / "models", s.WHISPER_COMPUTE_TYPE,
                                     s.WHISPER_BEAM_SIZE, s.WHISPER_BATCH_SIZE,
                                     thread_share(s.WHISPER_THREADS, s.TRANSCRIPTION_RUNS, alone=True),
                                     s.MIN_ENGLISH_PROBABILITY)
    worst = 0
    try:
        for source_arg in args.sources:
            with tempfile.TemporaryDirectory() as tmp:
                try:
                    source = Path(source_arg)
                    if "://" in source_arg:  # the user's own URL: any address (feed URLs are held to the policy)
                        from podcast_assets.resources.factory import resources_outside_runs

                        feeds = resources_outside_runs(s, "feeds")["feeds"]
                        source = feeds.download_user_url(source_arg, Path(tmp) / "download")
                    elif not source.is_file():
                        raise AudioError(f"no such file {source_arg}")
                    wav = Path(tmp) / "audio.wav"
                    to_wav16k(source, wav, s.AUDIO_MAX_MINUTES)
                    result = service.transcribe(wav, progress=None if args.json else lambda m: print(m, file=sys.stderr))
                except AudioError as exc:
                    print(f"error: {exc}", file=sys.stderr)  # the message names the file
                    worst = max(worst, 2)
                    continue
                except NotEnglishAudio as exc:
                    if args.json:
                        print(json.dumps({"source": source_arg, "language": exc.language,
                                          "language_probability": exc.probability, "duration": None, "text": "",
                                          "segments": [], "skipped": str(exc)}))
                    else:
                        print(f"skipped: {exc}", file=sys.stderr)
                    worst = max(worst, 3)
                    continue
            if args.json:
                print(json.dumps({"source": source_arg, **result.as_dict()}), flush=True)
            else:
                print(f"# {source_arg}: {result.language} (p={result.language_probability:.2f}), "
                      f"{result.duration:.1f} s, {result.model}")
                print(result.text)
    finally:
        service.close()
    return worst


def _similar(args) -> int:
    import json

    from podcast_assets.resources.factory import resources_outside_runs
    from podcast_assets.serve.queries import neighbours

    resources = resources_outside_runs(settings_from_env(), "mongo", "delta", "embedder")
    found = neighbours(resources["mongo"], resources["delta"], resources["embedder"].model_name, args.episode_id,
                       args.k)
    if args.json:
        print(json.dumps(found))
        return 0
    if not found["neighbours"]:
        print(f"no similar episodes recorded for {args.episode_id}", file=sys.stderr)
        return 1
    print(f"{args.episode_id}  {found['title']}  (from {found['source']})")
    for i, r in enumerate(found["neighbours"], 1):
        print(f"{i:>3}. {r['similarity']:.3f}  {r['episode_id']:<12} {r['title']}")
    return 0


def _search(args) -> int:
    """The passages nearest the query across all episodes (or one), from the Delta passages table with the
    project's KNN kernel; no MongoDB needed."""
    import json
    import time

    from podcast_assets.common import storage
    from podcast_assets.resources.factory import resources_outside_runs
    from podcast_assets.search.answers import COLUMNS, hold, search
    from podcast_assets.search.index import marked
    from podcast_assets.search.keyword_store import load_current

    settings = settings_from_env()
    resources = resources_outside_runs(settings, "delta", "embedder")
    delta, embedder = resources["delta"], resources["embedder"]
    filters = [("model", "=", embedder.model_name)] + ([("episode_id", "=", args.episode)] if args.episode else [])
    table = delta.arrow("transcript_passages", COLUMNS, filters)
    if table is None or table.num_rows == 0:
        where = f" of episode {args.episode}" if args.episode else ""
        print(f"nothing to search yet: no transcript passages{where} for {embedder.model_name} (they come with "
              "each transcript; `dagster asset materialize -m podcast_assets.definitions --select "
              "transcript_passages` makes them for the transcripts there are)", file=sys.stderr)
        return 1
    started = time.perf_counter()
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # the model's loading bar would interleave with the answer
    model = embedder.embedder()
    loaded = time.perf_counter()
    # the saved keyword index while it matches the passages table's version; else BM25 over the passages read
    version = delta.table("transcript_passages").version()
    saved = (load_current(storage.join(settings.storage_uri, "search", "keywords"), version, embedder.model_name, table)
             if args.mode != "vector" else None)
    held = hold(table, version, embedder.model_name, saved, delta.shows(), keywords=args.mode != "vector")
    results = search(held, model.embed, args.query, args.mode, args.k)
    answered = time.perf_counter()
    timing = {"passages": table.num_rows, "mode": args.mode, "keyword_index": held.keyword_index,
              "model_load_s": round(loaded - started, 2), "query_ms": round((answered - loaded) * 1000, 1)}
    if args.json:
        print(json.dumps({"query": args.query, **timing, "results": results}))
        return 0
    print(f"{table.num_rows} passages searched; model loaded in {timing['model_load_s']:.1f} s, "
          f"answered in {timing['query_ms']:.0f} ms", file=sys.stderr)
    bold = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("»", "«")
    for i, r in enumerate(results, 1):
        print(f"{i:>2}. {r['score']:.3f}  {r['show']} - {r['episode_title']}  at {r['at']}  ({r['episode_id']})")
        print(f"    {marked(r['text'], r['match'], *bold)}")
        if r["matched"]:
            print(f"    matched: {', '.join(r['matched'])}")
    return 0


def _recommend(args) -> int:
    """The user's list in the published set, else the popular episodes (``serve/queries.py``)."""
    import json

    from podcast_assets.resources.factory import resources_outside_runs
    from podcast_assets.serve.queries import Unavailable, recommendations

    resources = resources_outside_runs(settings_from_env(), "mongo", "delta")
    try:
        found = recommendations(resources["mongo"], resources["delta"], args.user_id, args.n, args.hybrid)
    except Unavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows, version = found["recommendations"], found["model_version"]
    if args.json:
        print(json.dumps(found, default=str))
        return 0
    if not rows:
        print(f"no recommendations for user {args.user_id}: no listener engagement yet", file=sys.stderr)
        return 1
    print(f"user {args.user_id}, model {version}" + ("" if rows[0].get("strategy") != "popularity" else
                                                     " (popular episodes: the model does not know this user)"))
    for r in rows:
        score = r.get("als_score", r.get("score", r.get("popularity")))
        print(f"{r['rank']:>3}. {score:.3f}  {r['new_episode_id']:<12} {r['title']}")
    return 0


def _recommend_offline(args) -> int:
    import pandas as pd

    from podcast_assets.recommendations.training import train
    from podcast_assets.resources.factory import build_resources

    df = pd.read_csv(args.interactions, dtype={"user_id": str, "episode_id": str})
    missing = {"user_id", "episode_id", "engagement"} - set(df.columns)
    if missing:
        print(f"error: {args.interactions} lacks columns {sorted(missing)}", file=sys.stderr)
        return 2
    # the deployment's ALS engine resource (its parameters and fit), with the engine this command names;
    # it holds no secret, so it is used as built (a Spark one starts its session lazily, on fit)
    als = build_resources(settings_from_env(ALS_ENGINE=args.engine))["als"]
    model = train(df, als.params(), als.fit, als.name, evaluate_first=False)
    out = model.top_n(args.top_n)
    out.to_csv(args.out, index=False)
    if als.name == "spark":
        als.spark.spark_session.stop()
    print(f"{len(out)} recommendations for {len(model.data.users)} users written to {args.out} "
          f"({als.name} engine, fit {model.fit_seconds:.2f}s)", file=sys.stderr)
    return 0


def _serve(args) -> int:
    """The HTTP API and its page, until interrupted."""
    import logging

    import uvicorn

    from podcast_assets.serve.app import create_app

    logging.basicConfig(format="%(asctime)s %(name)s: %(message)s", level=logging.WARNING)
    logging.getLogger("podcast_assets.serve").setLevel(logging.INFO)  # what is held, and when it changes
    overrides = {k: v for k, v in (("SERVE_HOST", args.host), ("SERVE_PORT", args.port)) if v is not None}
    settings = settings_from_env(**overrides)
    print(f"serving the API on http://{settings.SERVE_HOST}:{settings.SERVE_PORT}/ (OpenAPI at /docs)", file=sys.stderr)
    uvicorn.run(create_app(settings), host=settings.SERVE_HOST, port=settings.SERVE_PORT, log_level=args.log_level)
    return 0


def _demo(args) -> int:
    import json
    import logging

    from podcast_assets.demo import print_summary, run
    from podcast_assets.local.stack import Stack, StackError

    logging.getLogger("dagster").setLevel(logging.WARNING)  # the runs' own logs are in the UI and the daemon log
    settings = settings_from_env()
    print(f"data dir {settings.data_dir}; Dagster instance {__import__('os').environ['DAGSTER_HOME']}")
    try:
        Stack(settings).up()
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    complete = run(settings, args.timeout * 60)
    print("\n== summary")
    totals = print_summary(settings)
    if args.json:
        print(json.dumps({**totals, "complete": complete}))
    return 0 if complete else 1


def _worker(args) -> int:
    import socket

    from podcast_assets.runs.workers import start_worker

    settings = settings_from_env()
    if not settings.on_workers:
        print("error: CELERY_BROKER_URL is not set: a worker needs the broker the daemon's runs send steps to",
              file=sys.stderr)
        return 1
    if not settings.WHISPER_THREADS:
        # the worker's host is its own: its cores shared by the steps it runs at once (TRANSCRIPTION_RUNS is the
        # deployment's count, not this host's), set before the steps' processes load the code location
        from podcast_assets.transcripts.whisper import available_cores

        os.environ["WHISPER_THREADS"] = str(max(1, available_cores() // max(1, args.concurrency)))
    print(f"worker {args.name or socket.gethostname()}: scratch in {settings.data_dir}, shared files in "
          f"{settings.storage_uri}, {os.environ.get('WHISPER_THREADS')} transcription threads per step", file=sys.stderr)
    start_worker(settings, args.name or socket.gethostname(), args.concurrency, args.log_level)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="podcast-assets", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    stack = sub.add_parser("stack", help="the local Kafka broker, MongoDB wire server and Podcast Index")
    stack.add_argument("action", choices=["up", "status", "down"])
    stack.set_defaults(func=_stack)
    demo = sub.add_parser("demo", help="start the local stack and the Dagster daemon; watch the graph fill itself")
    demo.add_argument("--json", action="store_true", help="also print the totals as JSON on the last line")
    demo.add_argument("--timeout", type=float, default=30, metavar="MINUTES",
                      help="give up (exit 1) if the graph is not complete by then (default 30)")
    demo.set_defaults(func=_demo)
    tr = sub.add_parser("transcribe", help="transcribe audio files or URLs with the pipeline's own code path "
                                           "(the models loaded once for all of them)")
    tr.add_argument("sources", metavar="FILE_OR_URL", nargs="+")
    tr.add_argument("--json", action="store_true", help="print language, probability, duration, text, segments")
    tr.set_defaults(func=_transcribe)
    sim = sub.add_parser("similar", help="an episode's nearest episodes by what they say")
    sim.add_argument("episode_id")
    sim.add_argument("-k", type=int, default=5)
    sim.add_argument("--json", action="store_true")
    sim.set_defaults(func=_similar)
    search = sub.add_parser("search", help="find the moments in episodes where a topic is discussed")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=10, help="how many passages (default 10)")
    search.add_argument("--episode", metavar="ID", help="only within this episode")
    search.add_argument("--mode", choices=("hybrid", "vector", "keyword"), default="hybrid",
                        help="hybrid (default): keyword (BM25) and vector rankings fused; or either alone")
    search.add_argument("--json", action="store_true")
    search.set_defaults(func=_search)
    serve = sub.add_parser("serve", help="the HTTP API (search, neighbours, recommendations, transcripts) and a "
                                         "page that plays the moment")
    serve.add_argument("--host", help="the address to listen on (default SERVE_HOST: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="default SERVE_PORT: 8300")
    serve.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    serve.set_defaults(func=_serve)
    rec = sub.add_parser("recommend", help="a user's current recommendations from MongoDB")
    rec.add_argument("user_id")
    rec.add_argument("-n", type=int, default=10)
    rec.add_argument("--hybrid", action="store_true", help="the hybrid list instead of plain ALS")
    rec.add_argument("--json", action="store_true")
    rec.set_defaults(func=_recommend)
    off = sub.add_parser("recommend-offline", help="train on a CSV of user_id, episode_id, engagement")
    off.add_argument("--interactions", required=True, metavar="CSV")
    off.add_argument("--top-n", type=int, default=10)
    off.add_argument("--out", required=True, metavar="CSV")
    off.add_argument("--engine", choices=["local", "spark"], default="local")
    off.set_defaults(func=_recommend_offline)
    worker = sub.add_parser("worker", help="a celery worker that executes the episode jobs' steps (with "
                                           "CELERY_BROKER_URL set; runs/workers.py)")
    worker.add_argument("--name", help="the worker's name (default: this host's name)")
    worker.add_argument("--concurrency", type=int, default=1,
                        help="steps at once (default 1: one transcription uses the host's cores)")
    worker.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    worker.set_defaults(func=_worker)
    users_cli.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from podcast_assets.local.instance import ensure_dagster_home

    ensure_dagster_home()
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
