"""The `ledger` command line: serve, scheduler, tokens, demo, projections, audit, bank."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import date
from uuid import UUID

from pydantic import ValidationError

from api import audit_cli
from api.banking import command as bank_cli
from api.logging import configure_logging
from api.settings import Settings
from domain.kernel.calendar import today
from domain.application import Ledger
from domain.kernel.errors import DomainError
from domain.access.tokens import ROLES
from projections.audit.store import AuditStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ledger", description="Cooperation agreement ledger.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, choices=range(1, 33), metavar="N",
                       help="server processes on the port (default LEDGER_WORKERS, 1); above 1 needs PostgreSQL")

    tokens = commands.add_parser("tokens", help="create or revoke API tokens")
    token_commands = tokens.add_subparsers(dest="tokens_command", required=True)
    create = token_commands.add_parser("create", help="create a token; it is printed on the last line")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--party", metavar="BUSINESS_ID", help="the party a party token stands for")
    create.add_argument("--label", default="", help="a note on whose token this is")
    revoke = token_commands.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id", type=UUID)

    scheduler = commands.add_parser("scheduler", help="run the daily sweeps (invoicing, recharges, "
                                                     "overdue marking)")
    scheduler.add_argument("--once", action="store_true",
                           help="run every sweep once and exit, instead of daily")
    scheduler.add_argument("--as-of", type=date.fromisoformat, metavar="YYYY-MM-DD",
                           help="with --once: the business date to sweep as of (default today)")
    scheduler.add_argument("--hour", type=int, default=6, choices=range(24), metavar="H",
                           help="hour of the day (Europe/Helsinki) the daily sweeps start (default 6)")

    demo = commands.add_parser("demo", help="load the seed agreements as example data")
    demo.add_argument("--tokens", action="store_true", help="also print a token for every role")

    projections = commands.add_parser("projections", help="rebuild the journal or show where it is")
    projection_commands = projections.add_subparsers(dest="projections_command", required=True)
    projection_commands.add_parser("rebuild", help="empty the journal and apply every event again")
    projection_commands.add_parser("status", help="the journal's position against the event log")
    audit_cli.add_parser(commands)
    bank_cli.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ledger` console script."""
    args = _parser().parse_args(argv)
    verdict = audit_cli.offline(args)
    if verdict is not None:
        return verdict
    try:  # `serve --workers` stands for LEDGER_WORKERS and is checked as the settings are
        settings = Settings(**({"workers": args.workers} if getattr(args, "workers", None) else {}))
    except ValidationError as exc:
        print(f"ledger: refusing to start: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        return _serve(settings, args.host, args.port)
    configure_logging(settings.log_level, to_stderr=True)  # stdout carries the command's result only
    ledger = Ledger(env=settings.persistence_env())
    try:
        AuditStore(ledger).install_guards()  # every process that opens the store keeps it append-only
        if args.command == "audit":
            return audit_cli.run(ledger, settings, args)
        if args.command == "tokens":
            return _tokens(ledger, args)
        if args.command == "scheduler":
            return _scheduler(ledger, args, settings)
        if args.command == "bank":
            return bank_cli.run(ledger, args, settings.max_bank_file_bytes)
        if args.command == "projections":
            return _projections(ledger, args.projections_command, settings.journal_workers)
        return _demo(ledger, settings, args.tokens)
    except DomainError as exc:
        print(f"ledger: {exc.code}: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        ledger.close()


def _serve(settings: Settings, host: str, port: int) -> int:
    import uvicorn

    from api.app import create_app

    if settings.workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)
        return 0
    # Each process builds the app from the same environment; they share the port, the store, the
    # sessions (in the store) and the background work (the journal and the audit chain take turns).
    uvicorn.run("api.app:create_app", factory=True, workers=settings.workers, host=host, port=port, log_config=None,
                access_log=False)
    return 0


def _tokens(ledger: Ledger, args: argparse.Namespace) -> int:
    if args.tokens_command == "revoke":
        ledger.revoke_token(args.token_id, revoked_on=today())
        print(f"revoked {args.token_id}")
        return 0
    token_id, token = ledger.issue_token(role=args.role, business_id=args.party, label=args.label,
                                         issued_on=today())
    print(f"token id {token_id} ({args.role}{' ' + args.party if args.party else ''})")
    print(token)
    return 0


def _scheduler(ledger: Ledger, args: argparse.Namespace, settings: Settings) -> int:
    from scheduler.jobs import sweep_all
    from scheduler.metrics import SchedulerMetrics
    from scheduler.service import build

    if args.once:
        results = sweep_all(ledger, args.as_of or today())  # each job logs its counts
        return 1 if any(result.get("failed") for result in results) else 0
    if args.as_of:
        print("ledger: --as-of needs --once; the daily scheduler sweeps as of today", file=sys.stderr)
        return 2
    metrics = SchedulerMetrics()
    if settings.scheduler_metrics_port:  # Prometheus scrapes the scheduler on a port of its own
        metrics.serve(settings.scheduler_metrics_port, settings.scheduler_metrics_host)
    scheduler = build(ledger, hour=args.hour, metrics=metrics)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0


def _projections(ledger: Ledger, command: str, workers: int) -> int:
    from projections.journal.runner import JournalRunner

    with JournalRunner(ledger, workers=workers) as runner:
        if command == "rebuild":
            started, shown = time.monotonic(), 0.0

            def progress(position: int, target: int) -> None:
                nonlocal shown
                # At most a line a second, and always the last one.
                if position >= target or time.monotonic() - shown >= 1.0:
                    shown = time.monotonic()
                    print(f"rebuild: position {position} of {target} ({100 * position // max(target, 1)} %)")

            applied = runner.rebuild(progress)
            print(f"rebuilt the journal from {applied} events in {time.monotonic() - started:.1f} s")
        status = runner.status()
        print(f"journal: position {status.position} of {status.log_position} (lag {status.lag}), "
              f"{status.lines} lines" + (f", failing: {status.error}" if status.error else ""))
    return 0


def _demo(ledger: Ledger, settings: Settings, with_tokens: bool) -> int:
    from api.demo import DEMO_PARTY, load_demo

    if settings.environment == "production":
        print("ledger: the demo data is not loaded in production", file=sys.stderr)
        return 2
    for code, agreement_id in load_demo(ledger, as_of=today()).items():
        print(f"{code}: {agreement_id}")
    if with_tokens:
        print("Demo tokens (development only):")
        for role in ROLES:
            party = DEMO_PARTY if role == "party" else None
            _, token = ledger.issue_token(role=role, business_id=party, label="demo", issued_on=today())
            print(f"  {role:<11} {token}" + (f"  (party {party})" if party else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
