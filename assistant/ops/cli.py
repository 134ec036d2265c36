"""Command-line entry points: ``python -m assistant.ops.cli token|seed|inbox|label|dismiss``."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from assistant.base.auth import ROLES, mint_token
from assistant.base.config import ConfigError, Settings
from assistant.desk.errors import DeskError
from assistant.desk.inbox import STATUSES


def _token(args: argparse.Namespace, settings: Settings) -> int:
    sub = args.sub or args.customer or ("demo" if args.role == "customer" else None)
    if not sub:
        print(f"error: a {args.role} token needs SUB=<name>", file=sys.stderr)
        return 2
    print(mint_token(settings.effective_jwt_secret(), sub, args.role, args.ttl))
    return 0


def _seed(_: argparse.Namespace, settings: Settings) -> int:
    from assistant.bank.seed import seed_demo_data
    from assistant.base.db.engine import session_scope

    with session_scope(settings.database_url, write=True) as session:
        created = seed_demo_data(session)
    print("demo data seeded" if created else "demo data already present")
    return 0


def _inbox(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.base.db.engine import session_scope
    from assistant.desk.inbox import item_view, list_items

    with session_scope(settings.database_url, write=True) as session:  # creates the tables on a fresh database
        items = [item_view(i) for i in list_items(session, args.status, args.limit)]
    if not items:
        print(f"no {args.status} messages in the NLU inbox")
    for item in items:
        hint = f" → customer picked {item['suggested_intent']}" if item["suggested_intent"] else ""
        print(
            f"#{item['id']:<5} [{item['reason']}] {item['text']}\n       predicted {item['predicted_intent'] or '-'} "
            f"{item['confidence']:.2f}{hint}"
        )
    return 0


def _entities(raw: str) -> list:
    """ "payee=李四, amount=五百" → entity spans."""
    from assistant.ops.training.labels import parse_entities

    pairs = [p.split("=", 1) for p in raw.replace("，", ",").split(",") if p.strip()]
    if any(len(p) != 2 for p in pairs):
        raise ValueError("ENTITIES looks like: payee=李四, amount=五百")
    return parse_entities([{"entity": k.strip(), "text": v.strip()} for k, v in pairs])


def _label(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.ops.training.inbox_actions import label_item

    result = label_item(settings, args.id, args.intent, _entities(args.entities), args.by)
    print(
        f"{'added' if result['added'] else 'already present'} in {result['file']}: - {result['example']}"
        "\nrun `make train` to train, check and publish a model with it"
    )
    return 0


def _dismiss(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.ops.training.inbox_actions import dismiss_item

    dismiss_item(settings, args.id, args.by)
    print(f"#{args.id} dismissed")
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
    inbox = sub.add_parser("inbox", help="list the NLU inbox")
    inbox.add_argument("--status", default="open", choices=STATUSES)
    inbox.add_argument("--limit", type=int, default=50)
    inbox.set_defaults(func=_inbox)
    label = sub.add_parser("label", help="label an inbox message into nlu_data/")
    label.add_argument("id", type=int)
    label.add_argument("intent")
    label.add_argument("--entities", default="", help="payee=李四, amount=五百")
    label.add_argument("--by", default="cli")
    label.set_defaults(func=_label)
    dismiss = sub.add_parser("dismiss", help="dismiss an inbox message")
    dismiss.add_argument("id", type=int)
    dismiss.add_argument("--by", default="cli")
    dismiss.set_defaults(func=_dismiss)
    args = parser.parse_args(argv)
    try:
        return args.func(args, Settings.from_env())
    except DeskError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except (ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
