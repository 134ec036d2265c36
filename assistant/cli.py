"""Command-line entry points: ``python -m assistant.cli token|seed``."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from assistant.auth import ROLES, mint_token
from assistant.config import ConfigError, Settings


def _token(args: argparse.Namespace, settings: Settings) -> int:
    sub = args.sub or args.customer or ("demo" if args.role == "customer" else None)
    if not sub:
        print(f"error: a {args.role} token needs SUB=<name>", file=sys.stderr)
        return 2
    print(mint_token(settings.effective_jwt_secret(), sub, args.role, args.ttl))
    return 0


def _seed(_: argparse.Namespace, settings: Settings) -> int:
    from assistant.db.engine import session_scope
    from assistant.db.seed import seed_demo_data

    with session_scope(settings.database_url, write=True) as session:
        created = seed_demo_data(session)
    print("demo data seeded" if created else "demo data already present")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="assistant")
    sub = parser.add_subparsers(dest="command", required=True)
    tok = sub.add_parser("token", help="mint a development token")
    tok.add_argument("--role", default="customer", choices=ROLES)
    tok.add_argument("--sub", default="")
    tok.add_argument("--customer", default="")
    tok.add_argument("--ttl", type=int, default=12 * 3600)
    tok.set_defaults(func=_token)
    sd = sub.add_parser("seed", help="create the schema and demo data if missing")
    sd.set_defaults(func=_seed)
    args = parser.parse_args(argv)
    try:
        return args.func(args, Settings.from_env())
    except (ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
