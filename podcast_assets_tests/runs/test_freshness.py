"""Freshness in the running daemon: with every sensor and schedule stopped, the watched assets pass their
freshness policies just after they were last materialised, and fail once the window has passed with nothing
refreshing them. The UI shows that state (the asset's freshness), which is what the policies are for."""

import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.freshness import FreshnessState

from podcast_assets.local.instance import DAGSTER_YAML
from podcast_assets.runs.freshness import WATCHED
from podcast_assets_tests.conftest import stack_settings
from podcast_assets_tests.helpers import env_for, freshness_states, stop_process_group

pytestmark = pytest.mark.daemon  # runs dagster-daemon (or dagster dev) on the suite's stack

BIN = Path(sys.executable).parent
KEYS = [dg.AssetKey(name) for names in WATCHED.values() for name in names]
WINDOW_MINUTES = 1.0


def wait_for(what: str, check, timeout: float, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}\n{log.read_text(errors='replace')[-3000:]}")


@pytest.mark.slow
def test_with_the_sensors_stopped_the_watched_assets_turn_stale_once_their_window_passes(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML)  # the project's instance config, freshness enabled
    env = {**env_for(stack_settings(tmp_path / "data")), "DAGSTER_HOME": str(home),
           "FRESHNESS_DAEMON_INTERVAL_SECONDS": "2",
           **{f"FRESHNESS_{stage.upper()}_MINUTES": str(WINDOW_MINUTES) for stage in WATCHED}}
    # by path: the test package is not installed, and the daemon's working directory is elsewhere
    stopped = subprocess.run([sys.executable, str(Path(__file__).parents[1] / "stop_instigators.py")], env=env,
                             cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert stopped.returncode == 0, stopped.stderr[-2000:]
    log = tmp_path / "daemon.log"
    daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-m", "podcast_assets.definitions"], env=env,
                              cwd=tmp_path, stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            wait_for("the freshness daemon", lambda: "FRESHNESS_DAEMON" in instance.get_daemon_heartbeats(), 120, log)
            # the last materialisations, as the last runs of each stage would have recorded them
            for key in KEYS:
                instance.report_runless_asset_event(dg.AssetMaterialization(key))
            reported = time.monotonic()
        wait_for("every watched asset to pass", lambda: set(freshness_states(home).values()) == {FreshnessState.PASS.value},
                 WINDOW_MINUTES * 60 - 10, log)
        wait_for("every watched asset to fail its freshness policy",
                 lambda: set(freshness_states(home).values()) == {FreshnessState.FAIL.value}, WINDOW_MINUTES * 60 + 30, log)
        assert time.monotonic() - reported >= WINDOW_MINUTES * 60  # not before its window had passed
        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert instance.get_runs_count() == 0  # nothing refreshed them: every sensor and schedule stopped
    finally:
        stop_process_group(daemon)
