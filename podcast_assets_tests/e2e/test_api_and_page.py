"""``podcast-assets serve`` on the demo's real data: search, neighbours, recommendations and transcripts as the
graph published them; bad parameters refused with a reason; MongoDB stopped; a new passages version picked up
with nobody restarting the server; and the page in headless Chromium, where a clicked hit plays from its moment."""

import json
import shutil
import subprocess
import time

import pytest
import requests
from deltalake import DeltaTable
from pymongo import MongoClient

from podcast_assets.local.stack import Stack
from podcast_assets.resources.mongo_sink import current_version
from podcast_assets.similarities.neighbours import merge_directions
from podcast_assets_tests.conftest import free_port
from podcast_assets_tests.e2e.conftest import BIN, screenshot
from podcast_assets_tests.helpers import catalog, stop_process_group

pytestmark = pytest.mark.daemon  # runs dagster-daemon (or dagster dev) on the suite's stack

PARAPHRASE = "how do I get roast potatoes crunchy rather than soft"  # the Sunday Long Table's question


@pytest.fixture(scope="module")
def api(project, tmp_path_factory):
    s, env, root, *_ = project
    port, log = free_port(), tmp_path_factory.mktemp("serve") / "serve.log"
    proc = subprocess.Popen([str(BIN / "podcast-assets"), "serve", "--port", str(port)],
                            env={**env, "SERVE_REFRESH_SECONDS": "1"}, cwd=root, stdout=open(log, "wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            if requests.get(f"{base}/health", timeout=2).ok:
                break
        except requests.RequestException:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(1)
    try:
        yield s, env, root, base, log
    finally:
        stop_process_group(proc)


def get(base, path, **params):
    r = requests.get(f"{base}{path}", params=params, timeout=60)
    assert "Traceback" not in r.text
    return r


def sunday_long_table() -> str:
    return next(str(e["id"]) for e in catalog()["episodes"] if e["feedTitle"] == "Sunday Long Table")


def test_search_answers_as_the_cli_does_with_show_moment_and_matched_words(api):
    s, env, root, base, _ = api
    served = get(base, "/search", q=PARAPHRASE, k=3).json()
    passages = DeltaTable(s.delta_path("transcript_passages"))
    assert served["passages"] == len(passages.to_pandas(columns=["episode_id"]))
    assert served["passages_version"] == passages.version() and served["keyword_index"].startswith("saved")
    top = served["results"][0]
    assert top["episode_id"] == sunday_long_table() and top["show"] == "Sunday Long Table" and top["episode_title"]
    assert top["start"] <= top["said_at"] < top["end"] and top["match"] in top["text"]
    assert {"roast", "potatoes"} <= set(top["matched"])
    cli = subprocess.run([str(BIN / "podcast-assets"), "search", PARAPHRASE, "-k", "3", "--json"], env=env, cwd=root,
                         capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr[-2000:]
    keys = ("episode_id", "passage", "said_at", "matched", "show")
    assert [{k: h[k] for k in keys} for h in served["results"]] == [
        {k: h[k] for k in keys} for h in json.loads(cli.stdout)["results"]]
    # within one episode, and by keyword alone: a word only that episode says
    mine = get(base, "/search", q="sourdough", episode=top["episode_id"], mode="keyword").json()["results"]
    assert mine and all(h["episode_id"] == top["episode_id"] and "sourdough" in h["matched"] for h in mine)


def test_neighbours_recommendations_and_transcripts_are_what_the_graph_published(api):
    s, env, root, base, _ = api
    episode = sunday_long_table()
    with MongoClient(s.MONGO_URI) as client:
        pairs = list(client.podcasts.similarities.find({}, {"_id": 0}))
        version = current_version(client, "recommendations", "als_top_n")
        user = client.recommendations.als_top_n.find_one({"model_version": version})["user_id"]
        mine = list(client.recommendations.als_top_n.find({"user_id": user, "model_version": version}, {"_id": 0})
                    .sort("rank", 1).limit(10))
    similar = get(base, f"/episodes/{episode}/similar", k=5).json()
    expected = merge_directions([p for p in pairs if p["new_episode_id"] == episode],
                                [p for p in pairs if p["historical_episode_id"] == episode], 5)
    assert similar["source"] == "mongodb" and len(similar["neighbours"]) == 5
    assert [n["episode_id"] for n in similar["neighbours"]] == [n["episode_id"] for n in expected]
    recs = get(base, f"/users/{user}/recommendations", n=10).json()
    assert recs["model_version"] == version
    assert [(r["rank"], r["new_episode_id"]) for r in recs["recommendations"]] == [
        (r["rank"], r["new_episode_id"]) for r in mine]
    stranger = get(base, "/users/nobody-knows-me/recommendations", n=3).json()["recommendations"]
    assert len(stranger) == 3 and {r["strategy"] for r in stranger} == {"popularity"}
    transcript = get(base, f"/episodes/{episode}/transcript").json()
    stem = DeltaTable(s.delta_path("transcripts")).to_pandas().set_index("episode_id").loc[episode, "file_stem"]
    assert transcript == json.loads((s.data_dir / "transcripts" / f"{stem}.json").read_text())
    audio = requests.get(f"{base}/episodes/{episode}/audio", allow_redirects=False, timeout=10)
    assert audio.status_code == 307 and audio.headers["location"].endswith(f"-{episode}.mp3")


@pytest.mark.parametrize("path, params, status, reason", [
    ("/search", {"q": "x", "k": "0"}, 422, "greater than or equal to 1"),
    ("/search", {"q": "x", "k": "many"}, 422, "valid integer"),
    ("/search", {"q": "x", "mode": "psychic"}, 422, "'hybrid', 'vector' or 'keyword'"),
    ("/search", {"q": ""}, 422, "at least 1 character"),
    ("/search", {"q": "   "}, 422, "blank"),
    ("/search", {"q": "x", "episode": "../etc"}, 422, "pattern"),
    ("/search", {"q": "x", "episode": "41009999"}, 404, "has no passages"),
    ("/search", {}, 422, "Field required"),
    ("/episodes/41009999/transcript", {}, 404, "has no transcript"),
    ("/episodes/41009999/similar", {}, 404, "not known"),
    ("/episodes/a%20b/similar", {}, 422, "pattern"),
    ("/users/$where/recommendations", {}, 422, "pattern"),
    ("/users/u1/recommendations", {"n": "1000"}, 422, "less than or equal to 100"),
])
def test_a_bad_request_gets_a_4xx_that_says_why(api, path, params, status, reason):
    _, _, _, base, _ = api
    r = get(base, path, **params)
    assert r.status_code == status and reason in r.text, (r.status_code, r.text)


def test_with_mongodb_stopped_neighbours_come_from_delta_and_recommendations_say_503(api):
    s, env, root, base, log = api
    stack = Stack(s)
    stack.stop_service("mongodb")
    try:
        similar = get(base, f"/episodes/{sunday_long_table()}/similar").json()
        assert similar["source"].startswith("delta vectors") and len(similar["neighbours"]) == 5
        recs = get(base, "/users/u1/recommendations")
        assert recs.status_code == 503 and "unreachable" in recs.json()["detail"]
        assert "mongodb://" not in recs.text
    finally:
        stack.up(log=lambda *_: None)
    assert "Traceback" not in log.read_text()


def test_a_new_passages_version_is_picked_up_without_a_restart(api):
    s, env, root, base, log = api
    episode = sunday_long_table()
    table = DeltaTable(s.delta_path("transcript_passages"))
    before = get(base, "/health").json()
    assert before["passages_version"] == table.version()
    table.delete(f"episode_id = '{episode}'")  # as re-transcribing it would, before its new passages land

    def held(version: int, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while (now := get(base, "/health").json())["passages_version"] != version:
            assert time.monotonic() < deadline, (now, log.read_text()[-2000:])
            time.sleep(0.5)
        return now

    try:
        gone = held(table.version())
        assert gone["episodes"] == before["episodes"] - 1
        assert get(base, "/search", q="sourdough", episode=episode).status_code == 404
        assert episode not in {h["episode_id"] for h in get(base, "/search", q=PARAPHRASE, k=5).json()["results"]}
    finally:
        table = DeltaTable(s.delta_path("transcript_passages"))
        table.restore(before["passages_version"])
    back = held(DeltaTable(s.delta_path("transcript_passages")).version())
    assert back["passages"] == before["passages"]
    assert get(base, "/search", q=PARAPHRASE, k=1).json()["results"][0]["episode_id"] == episode


def test_the_page_plays_a_clicked_hit_from_its_moment_and_shows_its_neighbours(api, tmp_path):
    from playwright.sync_api import sync_playwright

    _, _, _, base, _ = api
    expected = get(base, "/search", q=PARAPHRASE, k=10).json()["results"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required", "--mute-audio"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/", wait_until="networkidle")
        page.fill("#q", PARAPHRASE)
        page.click("button[type=submit]")
        hits = page.locator(".hit")
        hits.first.wait_for(timeout=30_000)
        assert hits.count() == len(expected)
        assert "Sunday Long Table" in hits.first.inner_text() and expected[0]["at"] in hits.first.inner_text()
        hits.first.click()
        page.wait_for_function("() => document.querySelector('#player').dataset.seekedTo !== undefined",
                               timeout=30_000)
        seeked = float(page.eval_on_selector("#player", "a => a.dataset.seekedTo"))
        assert seeked == pytest.approx(expected[0]["said_at"], abs=0.05)
        # it plays on from there, and the segment being said is highlighted
        page.wait_for_function(f"() => document.querySelector('#player').currentTime > {seeked + 0.5}", timeout=30_000)
        now = page.locator(".segment.now")
        now.wait_for(timeout=10_000)
        t = page.eval_on_selector("#player", "a => a.currentTime")
        assert float(now.get_attribute("data-start")) <= t < float(now.get_attribute("data-end")) + 0.5
        page.locator(".neighbour").nth(4).wait_for(timeout=10_000)
        assert page.locator(".neighbour").count() == 5
        screenshot(page, tmp_path, "search-page.png")
        browser.close()
    assert not errors, errors
