"""The `ledger audit` commands: verify, export, verify an export offline, checkpoint, public-key."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from api.settings import Settings


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `ledger audit …` to the command line."""
    audit = commands.add_parser("audit", help="verify, export and sign the tamper-evident history")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser("verify", help="recompute the hash chain from the raw events "
                                                      "(exit 0 when intact, 1 when not)")
    verify.add_argument("--export", metavar="DIR", type=Path,
                        help="verify an export offline instead, with no database")
    verify.add_argument("--public-key", metavar="BASE64",
                        help="with --export: require checkpoints signed with this key")
    export = audit_commands.add_parser("export", help="write events, journal, checkpoints and a manifest")
    export.add_argument("directory", type=Path)
    audit_commands.add_parser("checkpoint", help="sign the chain's head now")
    audit_commands.add_parser("public-key", help="print the checkpoint signing public key (base64)")


def offline(args: argparse.Namespace) -> int | None:
    """`ledger audit verify --export DIR`, which needs no settings nor database; None for the others."""
    if args.command != "audit" or args.audit_command != "verify" or args.export is None:
        return None
    from projections.audit_export import verify_export

    started = time.monotonic()
    try:
        verdict = verify_export(args.export, args.public_key)
    except (OSError, ValueError) as exc:
        print(f"ledger: export unreadable: {exc}", file=sys.stderr)
        return 1
    if verdict.ok:
        print(f"export ok: {verdict.events_checked} events verified in {time.monotonic() - started:.1f} s")
        return 0
    where = f"{verdict.file} line {verdict.line}" if verdict.line else verdict.file
    print(f"export BAD at {where}: {verdict.reason}")
    return 1


def run(ledger: object, settings: Settings, args: argparse.Namespace) -> int:
    """The audit commands that work on the store the settings name."""
    from projections.audit_chain import AuditChain

    signer = settings.audit_signer()
    if args.audit_command == "public-key":
        print(signer.public_key)
        return 0
    chain = AuditChain(ledger, signer=signer)  # type: ignore[arg-type]
    if args.audit_command == "checkpoint":
        head = chain.checkpoint()
        print("nothing to sign: the log is empty" if head is None else f"signed position {head[0]} {head[1]}")
        return 0
    if args.audit_command == "export":
        from projections.audit_export import export
        from projections.runner import JournalRunner

        with JournalRunner(ledger) as runner:  # type: ignore[arg-type]
            manifest = export(chain, runner, args.directory)
        print(f"exported {manifest['events']} events, {manifest['journal_lines']} journal lines and "
              f"{manifest['checkpoints']} checkpoints to {args.directory}; head {manifest['head_hash']}")
        return 0
    started = time.monotonic()
    chain.catch_up()
    verdict = chain.verify()
    elapsed = time.monotonic() - started
    print(json.dumps(verdict.as_dict()))
    if verdict.ok:
        print(f"chain ok: {verdict.events_checked} events in {elapsed:.1f} s")
        return 0
    print(f"chain BAD at position {verdict.first_bad_position}: {verdict.reason}")
    return 1
