"""The project's dagster.yaml: written where DAGSTER_HOME says, SQLite by default and PostgreSQL by the variable's
name when it is set, rewritten when ours changes, and left alone once a user took it over."""

import pytest
import yaml

from podcast_assets.local.instance import MARK, ensure_dagster_home, instance_yaml


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A DAGSTER_HOME of the test's own, with none of the variables that shape dagster.yaml set."""
    home = tmp_path / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("DAGSTER_POSTGRES_URL", raising=False)
    monkeypatch.delenv("TRANSCRIPTION_RUNS", raising=False)
    return home


def test_sqlite_by_default_postgres_by_name_and_a_users_own_file_is_kept(home, tmp_path, monkeypatch):
    ensure_dagster_home(tmp_path)
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    assert "storage" not in config and config["run_monitoring"]["enabled"] is True
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", "postgresql://dagster:s3cret@db.example:5432/dagster")
    ensure_dagster_home(tmp_path)
    text = (home / "dagster.yaml").read_text()
    assert text == instance_yaml(postgres=True) and "s3cret" not in text
    assert yaml.safe_load(text)["storage"] == {"postgres": {"postgres_url": {"env": "DAGSTER_POSTGRES_URL"}}}
    own = text.replace(MARK, "# mine")
    (home / "dagster.yaml").write_text(own)
    monkeypatch.delenv("DAGSTER_POSTGRES_URL")
    ensure_dagster_home(tmp_path)
    assert (home / "dagster.yaml").read_text() == own


def _transcription_limit(text: str) -> int:
    limits = yaml.safe_load(text)["concurrency"]["runs"]["tag_concurrency_limits"]
    return next(x["limit"] for x in limits if x["value"] == "transcription")


def test_the_transcription_lane_follows_transcription_runs(home, tmp_path, monkeypatch):
    """Steps on workers: the deployment's transcription slots are its workers', not this host's cores."""
    ensure_dagster_home(tmp_path)
    assert _transcription_limit((home / "dagster.yaml").read_text()) == 2
    monkeypatch.setenv("TRANSCRIPTION_RUNS", "6")
    ensure_dagster_home(tmp_path)
    assert _transcription_limit((home / "dagster.yaml").read_text()) == 6
