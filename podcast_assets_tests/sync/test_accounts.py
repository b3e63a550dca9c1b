"""Listener accounts in the real Mongo wire server: argon2id hashes, names checked, the CLI as a user runs it."""

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from pymongo import MongoClient

from podcast_assets.sync import accounts
from podcast_assets.sync.accounts import AccountError
from podcast_assets_tests.helpers import env_for

BIN = Path(sys.executable).parent


@pytest.fixture
def settings(settings):
    return settings.replace(MONGO_DB=f"accounts_{uuid.uuid4().hex[:8]}")


def test_a_password_is_kept_only_as_an_argon2id_hash_and_checked_in_constant_shape(settings):
    with MongoClient(settings.MONGO_URI) as client:
        found = client[settings.MONGO_DB].accounts
        accounts.add(found, "alice", "correct horse")
        doc = found.find_one({"_id": "alice"})
        assert doc["password"].startswith("$argon2id$") and "correct horse" not in str(doc)
        assert accounts.verify(found, "alice", "correct horse")
        assert not accounts.verify(found, "alice", "Correct horse") and not accounts.verify(found, "alice", "")
        assert not accounts.verify(found, "bob", "correct horse") and not accounts.verify(found, "$where", "x")
        with pytest.raises(AccountError, match="user alice exists"):
            accounts.add(found, "alice", "another")
        for name in ("", "a" * 65, "al ice", "al/ice", "$where"):
            with pytest.raises(AccountError, match="1 to 64 letters"):
                accounts.add(found, name, "pw")
        assert accounts.names(found) == ["alice"] and accounts.remove(found, "alice") and not accounts.remove(found, "alice")


def users(settings, *args, stdin: str = ""):
    return subprocess.run([str(BIN / "podcast-assets"), "users", *args], env=env_for(settings), input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_the_users_command_adds_lists_and_removes_and_says_what_failed_in_one_line(settings):
    added = users(settings, "add", "listener.one", stdin="s3cret pass\nignored\n")
    assert added.returncode == 0 and added.stdout.strip() == "user listener.one added", added.stderr
    again = users(settings, "add", "listener.one", stdin="other\n")
    assert again.returncode == 1 and again.stderr.strip() == "podcast-assets users add: user listener.one exists"
    assert users(settings, "add", "listener-two", stdin="pw2\n").returncode == 0
    assert users(settings, "list").stdout.split() == ["listener-two", "listener.one"]
    with MongoClient(settings.MONGO_URI) as client:
        assert accounts.verify(client[settings.MONGO_DB].accounts, "listener.one", "s3cret pass")
    gone = users(settings, "remove", "listener.one")
    assert gone.returncode == 0 and "removed" in gone.stdout
    missing = users(settings, "remove", "listener.one")
    assert missing.returncode == 1 and missing.stderr.strip() == "podcast-assets users remove: no user listener.one"
    blank = users(settings, "add", "nobody", stdin="\n")
    assert blank.returncode == 1 and "a password is 1 to 1024 characters" in blank.stderr
    assert "Traceback" not in blank.stderr + missing.stderr + again.stderr


def test_with_mongodb_away_the_command_says_so_in_one_line(settings):
    away = users(settings.replace(MONGO_URI="mongodb://127.0.0.1:9", MONGO_TIMEOUT_MS=500), "list")
    assert away.returncode == 1 and away.stderr.strip() == "podcast-assets users list: MongoDB at 127.0.0.1:9 is unreachable"
