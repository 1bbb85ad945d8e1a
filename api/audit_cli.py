"""The `ledger audit` commands: verify, export, verify an export offline, checkpoint, public-key, replay
and purge."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from api.settings import Settings
from domain.kernel.calendar import today
from domain.kernel.errors import InvalidInput
from domain.kernel.identifiers import agreement_id

MAX_LINES = 1_000  # differences printed by a replay; the summary counts them all


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
    verify.add_argument("--trusted-keys", metavar="FILE", type=Path,
                        help="a JSON key list (public_key, valid_from, valid_until): every checkpoint must be "
                             "signed with one of them, valid when it signed")
    verify.add_argument("--known-head", metavar="FILE", type=Path,
                        help="an earlier export's manifest.json or a published checkpoint (JSON): the chain "
                             "must pass through its position and hash (finds re-sealing and truncation)")
    verify.add_argument("--json", action="store_true",
                        help="print the verdict as one JSON object instead of a sentence (logs go to stderr)")
    export = audit_commands.add_parser("export", help="seal, sign the head, and write events, journal, "
                                                      "checkpoints and a manifest")
    export.add_argument("directory", type=Path)
    checkpoint = audit_commands.add_parser("checkpoint", help="seal the log and sign the chain's head now")
    checkpoint.add_argument("--json", action="store_true",
                            help="print the signed checkpoint as JSON, to publish as a known head")
    audit_commands.add_parser("public-key", help="print the checkpoint signing public key (base64)")
    replay = audit_commands.add_parser(
        "replay", help="rebuild every figure from the events into a scratch journal and compare it with "
                       "the live one (exit 0 when identical, 1 when not)")
    replay.add_argument("--as-of", action="append", required=True, type=_dates, metavar="DATE[,DATE…]",
                        help="business date(s) YYYY-MM-DD; repeat or separate with commas")
    replay.add_argument("--agreement", action="append", type=_agreement, metavar="ID_OR_CODE",
                        help="only this agreement (repeatable; default every agreement)")
    purge = audit_commands.add_parser(
        "purge", help="remove an agreement's journal once its retention has ended (R-REC-1); the events stay")
    purge.add_argument("agreement", type=_agreement, metavar="ID_OR_CODE")
    purge.add_argument("--on", type=_date, metavar="DATE",
                       help="the purge's business date YYYY-MM-DD (default today; never later than today)")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _dates(text: str) -> list[date]:
    return [_date(part) for part in text.split(",") if part.strip()]


def _agreement(text: str) -> UUID:
    """An agreement named by its id or its code (ids follow from codes)."""
    try:
        return UUID(text)
    except ValueError:
        return agreement_id(text)


def _trust(args: argparse.Namespace) -> tuple[Any, Any]:
    """The trusted keys and the known head the verify command was given (None where not)."""
    from projections.audit.trust import KnownHead, TrustedKeys

    trusted = TrustedKeys.load(args.trusted_keys) if args.trusted_keys else None
    if trusted is None and args.public_key:
        trusted = TrustedKeys.only(args.public_key)
    return trusted, KnownHead.load(args.known_head) if args.known_head else None


def offline(args: argparse.Namespace) -> int | None:
    """`ledger audit verify --export DIR`, which needs no settings nor database; None for the others."""
    if args.command != "audit" or args.audit_command != "verify" or args.export is None:
        return None
    from projections.audit.export import verify_export

    started = time.monotonic()
    try:
        trusted, known = _trust(args)
    except (OSError, ValueError) as exc:
        print(f"ledger: {exc}", file=sys.stderr)
        return 2
    try:
        verdict = verify_export(args.export, trusted=trusted, known=known)
    except (OSError, ValueError) as exc:
        print(f"ledger: export unreadable: {exc}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    where = f"{verdict.file} line {verdict.line}" if verdict.line else verdict.file
    at = f" (position {verdict.first_bad_position})" if verdict.first_bad_position else ""
    return _report(verdict, args.json, elapsed, f"export ok: {verdict.events_checked} events verified in "
                   f"{elapsed:.1f} s", f"export BAD at {where}{at}: {verdict.reason}")


def _report(verdict: Any, as_json: bool, elapsed: float, good: str, bad: str) -> int:
    """Print a verdict as JSON or as its sentence; the exit code (0 when intact, 1 when not)."""
    if as_json:
        print(json.dumps({**verdict.as_dict(), "elapsed_s": round(elapsed, 3)}))
    else:
        print(good if verdict.ok else bad)
    return 0 if verdict.ok else 1


def run(ledger: object, settings: Settings, args: argparse.Namespace) -> int:
    """The audit commands that work on the store the settings name."""
    from projections.audit.chain import AuditChain

    if args.audit_command == "replay":
        return _replay(ledger, [day for days in args.as_of for day in days], args.agreement)
    if args.audit_command == "purge":
        return _purge(ledger, args.agreement, args.on or today())
    signer = settings.audit_signer()
    if args.audit_command == "public-key":
        print(signer.public_key)
        return 0
    chain = AuditChain(ledger, signer=signer, trusted=settings.audit_trust(signer))  # type: ignore[arg-type]
    if args.audit_command == "checkpoint":
        return _checkpoint(chain, args.json)
    if args.audit_command == "export":
        from projections.audit.export import export
        from projections.journal.runner import JournalRunner

        with JournalRunner(ledger) as runner:  # type: ignore[arg-type]
            manifest = export(chain, runner, args.directory)
        print(f"exported {manifest['events']} events, {manifest['journal_lines']} journal lines and "
              f"{manifest['checkpoints']} checkpoints to {args.directory}; head {manifest['head_hash']}")
        return 0
    return _verify(chain, args)


def _checkpoint(chain: Any, as_json: bool) -> int:
    head = chain.checkpoint()
    if head is None:
        print("nothing to sign: the log is empty")
        return 0
    if as_json:
        position, digest, signature, public_key, signed_at = chain.store.checkpoints(after=head[0] - 1, limit=1)[0]
        print(json.dumps({"position": position, "hash": digest, "signature": signature,
                          "public_key": public_key, "signed_at": signed_at}))
    else:
        print(f"signed position {head[0]} {head[1]}")
    return 0


def _verify(chain: Any, args: argparse.Namespace) -> int:
    """`ledger audit verify`: reads only; the service seals."""
    try:
        trusted, known = _trust(args)
    except (OSError, ValueError) as exc:
        print(f"ledger: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    verdict = chain.verify(trusted, known)
    elapsed = time.monotonic() - started
    return _report(verdict, args.json, elapsed, f"chain ok: {verdict.events_checked} events in {elapsed:.1f} s",
                   f"chain BAD at position {verdict.first_bad_position}: {verdict.reason}")


def _replay(ledger: Any, dates: list[date], agreements: list[UUID] | None) -> int:
    from projections.audit.replay import MAX_DATES, replay
    from projections.journal.runner import JournalRunner

    if not 0 < len(dates) <= MAX_DATES:
        raise InvalidInput(f"give 1 to {MAX_DATES} dates", code="invalid_date")
    with JournalRunner(ledger) as runner:
        report = replay(ledger, runner, dates, agreements)
    for difference in report.differences[:MAX_LINES]:
        print(difference.line())
    if len(report.differences) > MAX_LINES:
        print(f"… and {len(report.differences) - MAX_LINES} more differences")
    for code in report.purged:
        print(f"purged: {code}: its records are purged (R-REC-1); its journal sums are compared, not figures")
    if report.log_moved:
        print(f"note: events were recorded after position {report.position} during the replay; "
              "if a difference comes from them, run the replay again")
    print(report.summary())
    return 0 if report.ok else 1


def _purge(ledger: Any, agreement: UUID, on: date) -> int:
    from projections.journal.runner import JournalRunner

    if on > today():
        raise InvalidInput(f"a purge cannot be dated after today ({today()})", code="invalid_date")
    with JournalRunner(ledger) as runner:
        runner.catch_up()
        before = runner.store.count_lines(agreement)
        purged = ledger.purge_records(agreement, purged_on=on)  # refused before the retention end
        runner.catch_up()
        removed = before - runner.store.count_lines(agreement)
    code = ledger.get_agreement(agreement, as_of=on)["code"]
    print(f"purged {code} on {purged['purged_on']}: {removed} journal lines removed; it ended on "
          f"{purged['ended_on']} and its retention on {purged['retention_ends_on']} (R-REC-1); "
          "its events stay in the audit log")
    return 0
