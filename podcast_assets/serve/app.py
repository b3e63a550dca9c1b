"""``podcast-assets serve``: the product's answers over HTTP, read-only, for an app (FastAPI; OpenAPI at
``/docs``). Search runs on the passages held in memory (``holder.py``); neighbours, recommendations and
transcripts are read where the graph publishes them (``queries.py``). A bad parameter is a 4xx that says
which; a store that does not answer is a 503 that says which; nothing sends a traceback to the client."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Annotated, Literal

from fastapi import FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from podcast_assets.common import storage
from podcast_assets.common.ids import EPISODE_ID
from podcast_assets.ingest.private import is_ref
from podcast_assets.resources.factory import resources_outside_runs
from podcast_assets.search.answers import search, within
from podcast_assets.serve import queries
from podcast_assets.serve.holder import PassageHolder
from podcast_assets.settings import Settings

log = logging.getLogger("podcast_assets.serve")
EpisodeId = Annotated[str, Path(pattern=f"^{EPISODE_ID.pattern}$", description="letters, digits, - and _")]
UserId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]


def create_app(settings: Settings) -> FastAPI:
    """Nothing is read until the app starts (uvicorn's lifespan): the model is loaded once, the passages
    held, and the holder's thread started."""
    resources = resources_outside_runs(settings, "delta", "mongo", "embedder", "feeds")
    delta, mongo, embedder, feeds = resources["delta"], resources["mongo"], resources["embedder"], resources["feeds"]
    holder = PassageHolder(delta, storage.join(settings.storage_uri, "search", "keywords"), embedder.model_name,
                           settings.SERVE_REFRESH_SECONDS, log=log.info)
    state: dict = {}
    embedding = threading.Lock()  # one query embedding at a time: the model is shared by the request threads

    def embed(texts: list[str]):
        with embedding:
            return state["model"].embed(texts)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        started = time.perf_counter()
        state["model"] = embedder.embedder()
        holder.refresh()
        holder.start()
        log.info(f"ready in {time.perf_counter() - started:.1f} s: model {embedder.model_name}")
        yield
        holder.stop()

    app = FastAPI(title="podcast_assets", version="1", lifespan=lifespan,
                  description="Search, neighbours, recommendations and transcripts of the podcast_assets graph.")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):  # logged here; the client gets one line
        log.exception(f"{request.method} {request.url.path} failed")
        return JSONResponse({"detail": f"internal error ({type(exc).__name__}); see the server's log"}, 500)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return files("podcast_assets.serve").joinpath("page.html").read_text()

    @app.get("/health", summary="what is held: the passages table version, its passages and episodes")
    def health() -> dict:
        held = holder.held
        return {"model": embedder.model_name, "passages_version": held.version if held else None,
                "passages": len(held.rows) if held else 0, "episodes": len(held.episodes) if held else 0,
                "keyword_index": held.keyword_index if held else "none", "refresh_error": holder.last_error}

    @app.get("/search", summary="the moments where a topic is discussed, best first")
    def search_moments(q: Annotated[str, Query(min_length=1, max_length=500, description="what to look for")],
                       k: Annotated[int, Query(ge=1, le=100)] = 10,
                       mode: Literal["hybrid", "vector", "keyword"] = "hybrid",
                       episode: Annotated[str | None, Query(pattern=f"^{EPISODE_ID.pattern}$")] = None) -> dict:
        held = holder.held
        if held is None:
            raise HTTPException(503, "nothing to search yet: no transcript passages (they come with each transcript)")
        if not q.strip():
            raise HTTPException(422, "q: the query is blank")
        if episode is not None:
            if episode not in held.episodes:
                raise HTTPException(404, f"episode {episode} has no passages")
            held = within(held, episode)
        started, timing = time.perf_counter(), {}
        results = search(held, embed, q, mode, k, timing)
        return {"query": q, "mode": mode, "passages": len(held.rows), "passages_version": held.version,
                "keyword_index": held.keyword_index, "query_ms": round((time.perf_counter() - started) * 1000, 1),
                "timing": timing, "results": results}

    @app.get("/episodes/{episode_id}/similar", summary="the episodes nearest this one by what they say")
    def similar(episode_id: EpisodeId, k: Annotated[int, Query(ge=1, le=50)] = 5) -> dict:
        found = queries.neighbours(mongo, delta, embedder.model_name, episode_id, k)
        if not found["neighbours"] and not found["title"]:
            raise HTTPException(404, f"episode {episode_id} is not known")
        return found

    @app.get("/users/{user_id}/recommendations", summary="a user's current recommendations")
    def recommendations(user_id: UserId, n: Annotated[int, Query(ge=1, le=100)] = 10, hybrid: bool = False) -> dict:
        try:
            return queries.recommendations(mongo, delta, user_id, n, hybrid)
        except queries.Unavailable as exc:
            raise HTTPException(503, str(exc)) from None

    @app.get("/episodes/{episode_id}/transcript", summary="an episode's transcript: segments with times, chapters")
    def transcript(episode_id: EpisodeId) -> dict:
        found = queries.transcript(delta, storage.join(settings.storage_uri, "transcripts"), episode_id)
        if found is None:
            raise HTTPException(404, f"episode {episode_id} has no transcript")
        return found

    @app.get("/episodes/{episode_id}/audio", summary="a redirect to the episode's published audio",
             response_class=RedirectResponse, status_code=307,
             responses={404: {"description": "no audio address, a private feed's, or one the address policy refuses"}})
    def audio(episode_id: EpisodeId):
        url = queries.audio_url(delta, episode_id)
        if not url:
            raise HTTPException(404, f"episode {episode_id} has no audio address")
        if is_ref(url):  # its URL is a credential: only the deployment's own downloads may use it
            raise HTTPException(404, f"episode {episode_id} is from a private feed: its audio address is not served")
        problem = feeds.audio_address_problem(url)  # now, not when it was published: DNS may have moved
        if problem:
            raise HTTPException(404, f"episode {episode_id}'s audio address is refused: {problem}")
        return RedirectResponse(url, 307)

    return app
