"""The demo's data, shared by the end-to-end tests of this package: a fresh data dir, Dagster instance and stack
ports, ``podcast-assets demo`` run once (the daemon fills the graph while it watches), everything stopped at the
end of the package."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from podcast_assets_tests.conftest import stack_settings

BIN = Path(sys.executable).parent
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="package")
def project(tmp_path_factory):
    """A fresh data dir, instance and stack ports; the demo run once (the daemon fills the graph while it
    watches); everything stopped at the end."""
    root = tmp_path_factory.mktemp("e2e")
    s = stack_settings(root / "data", PODCAST_INDEX_API_KEY="local-key", PODCAST_INDEX_API_SECRET="local-secret")
    env = {**os.environ, "PODCAST_DATA_DIR": s.PODCAST_DATA_DIR, "KAFKA_BOOTSTRAP_SERVERS": s.KAFKA_BOOTSTRAP_SERVERS,
           "MONGO_URI": s.MONGO_URI, "PODCAST_INDEX_URL": s.PODCAST_INDEX_URL, "DAGSTER_HOME": str(root / "dagster_home"),
           "MONGO_TIMEOUT_MS": "1500"}
    for k in ("PODCAST_INDEX_API_KEY", "PODCAST_INDEX_API_SECRET", "HF_HUB_OFFLINE"):
        env.pop(k, None)
    started = time.monotonic()
    first, console = demo(env, root)
    try:
        yield s, env, root, first, console, time.monotonic() - started
    finally:
        subprocess.run([str(BIN / "podcast-assets"), "stack", "down"], env=env, cwd=root, capture_output=True, timeout=120)


def demo(env, cwd) -> tuple[dict, str]:
    """``podcast-assets demo`` as a user runs it: the empty-data-dir promise is 15 minutes."""
    out = subprocess.run([str(BIN / "podcast-assets"), "demo", "--json", "--timeout", "15"], env=env, cwd=cwd,
                         capture_output=True, text=True, timeout=20 * 60)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-3000:]
    assert "the graph is complete" in out.stdout and "Open the UI" in out.stdout
    assert "time to neighbours" in out.stdout, out.stdout[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stdout + out.stderr


def screenshot(page, tmp_path, name: str) -> None:
    """The page as ``name``, copied into ``docs/`` when ``UPDATE_DOCS_SCREENSHOT`` is set."""
    shot = tmp_path / name
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    if os.environ.get("UPDATE_DOCS_SCREENSHOT"):
        shutil.copy(shot, DOCS / name)
