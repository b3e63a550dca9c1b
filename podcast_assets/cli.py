"""The ``podcast-assets`` command."""

from __future__ import annotations

import argparse
import sys

from podcast_assets.settings import get_settings


def _stack(args) -> int:
    from podcast_assets.local.stack import Stack, StackError

    stack = Stack(get_settings())
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="podcast-assets", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    stack = sub.add_parser("stack", help="the local Kafka broker, MongoDB wire server and Podcast Index")
    stack.add_argument("action", choices=["up", "status", "down"])
    stack.set_defaults(func=_stack)
    return parser


def main(argv: list[str] | None = None) -> int:
    from podcast_assets.instance import ensure_dagster_home

    ensure_dagster_home()
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
