"""Listener accounts: a name and a password hashed with argon2id (``argon2-cffi``'s ``PasswordHasher``; never stored
or logged in clear). They live in MongoDB (``<database>.accounts``, one document per name), so several
``podcast-assets serve`` processes will share them. Plain: takes a pymongo collection.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo.errors import DuplicateKeyError

NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
MAX_PASSWORD = 1024  # characters: argon2 takes any length, a request body should not
_HASHER = PasswordHasher()  # argon2id with the library's own parameters (RFC 9106's low-memory choice)


@functools.cache
def _unknown() -> str:
    """A hash verified against when the name is unknown, so an unknown name costs as long as a wrong password."""
    return _HASHER.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """What is wrong with a name, a password or an account, in one line."""


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise AccountError(f"a user name is 1 to 64 letters, digits, '.', '_' or '-'; not {str(name)[:80]!r}")
    return name


def _check_password(password: str) -> str:
    if not password or len(password) > MAX_PASSWORD:
        raise AccountError(f"a password is 1 to {MAX_PASSWORD} characters")
    return password


def add(accounts, name: str, password: str) -> None:
    """A new account (``AccountError`` if the name is taken or unusable)."""
    doc = {"_id": check_name(name), "password": _HASHER.hash(_check_password(password)),
           "created_at": dt.datetime.now(dt.UTC)}
    try:
        accounts.insert_one(doc)
    except DuplicateKeyError:
        raise AccountError(f"user {name} exists") from None


def names(accounts) -> list[str]:
    return sorted(str(d["_id"]) for d in accounts.find({}, {"_id": 1}))


def remove(accounts, name: str) -> bool:
    """Whether an account of that name was there (and is gone)."""
    return accounts.delete_one({"_id": check_name(name)}).deleted_count == 1


def verify(accounts, name: str, password: str) -> bool:
    """Whether ``password`` is ``name``'s. An unknown name or a malformed one is a wrong password, in as long."""
    doc = accounts.find_one({"_id": name}) if isinstance(name, str) and NAME.fullmatch(name) else None
    try:
        _HASHER.verify(doc["password"] if doc else _unknown(), password or "")
    except (VerificationError, InvalidHashError):
        return False
    if doc is None:
        return False
    if _HASHER.check_needs_rehash(doc["password"]):  # the library's parameters moved on: keep up with them
        accounts.update_one({"_id": name}, {"$set": {"password": _HASHER.hash(password)}})
    return True

