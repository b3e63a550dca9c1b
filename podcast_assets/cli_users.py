"""``podcast-assets users``: the listener accounts of the deployment's MongoDB (``sync/accounts.py``)."""

from __future__ import annotations

import getpass
import sys

COLLECTION = "accounts"


def add_parser(sub) -> None:
    users = sub.add_parser("users", help="listener accounts: add, list, remove")
    actions = users.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="a new account; the password is the first line of standard input "
                                         "(asked for on a terminal)")
    add.add_argument("name", help="1 to 64 letters, digits, '.', '_' or '-'")
    actions.add_parser("list", help="one name per line")
    remove = actions.add_parser("remove", help="remove an account and its password")
    remove.add_argument("name")
    users.set_defaults(func=run)


def _password() -> str:
    from podcast_assets.sync.accounts import AccountError

    if sys.stdin.isatty():
        first, again = getpass.getpass("password: "), getpass.getpass("again: ")
        if first != again:
            raise AccountError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def run(args) -> int:
    from podcast_assets.resources.factory import resources_outside_runs
    from podcast_assets.resources.mongo import UNAVAILABLE
    from podcast_assets.settings import settings_from_env
    from podcast_assets.sync import accounts
    from podcast_assets.sync.accounts import AccountError

    mongo = resources_outside_runs(settings_from_env(), "mongo")["mongo"]
    try:
        with mongo.client() as client:
            found = client[mongo.database][COLLECTION]
            if args.action == "add":
                accounts.add(found, args.name, _password())
                print(f"user {args.name} added")
            elif args.action == "list":
                print("\n".join(accounts.names(found)) or "no users", file=sys.stdout)
            elif accounts.remove(found, args.name):
                # nothing else is kept per account yet: the sync service's devices and actions come with it
                print(f"user {args.name} removed: the account and its password hash are gone")
            else:
                raise AccountError(f"no user {args.name}")
    except AccountError as exc:
        print(f"podcast-assets users {args.action}: {exc}", file=sys.stderr)
        return 1
    except UNAVAILABLE:
        print(f"podcast-assets users {args.action}: MongoDB at {mongo.safe_address} is unreachable", file=sys.stderr)
        return 1
    return 0
