"""`ledger bank import FILE`: as POST /v1/bank-files, with progress on stderr and the counts on stdout."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from api.banking.importer import import_file
from api.banking.model import InvalidBankFile
from domain.application import Ledger


def add_parser(commands: Any) -> None:
    """The `bank` command and its `import` subcommand."""
    bank = commands.add_parser("bank", help="import bank files")
    bank_commands = bank.add_subparsers(dest="bank_command", required=True)
    imports = bank_commands.add_parser("import", help="import a camt.054 or incoming reference payments file")
    imports.add_argument("file", type=Path, metavar="FILE")
    imports.add_argument("--json", action="store_true", help="print the result as JSON, as the API answers")


def run(ledger: Ledger, args: argparse.Namespace, max_bytes: int) -> int:
    """Import the file; 0 when read, 1 when it is no bank file the ledger reads (nothing written)."""
    path: Path = args.file
    if not path.is_file() or path.stat().st_size > max_bytes:
        print(f"ledger: {path} is not a file of at most {max_bytes} bytes", file=sys.stderr)
        return 2
    shown = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal shown
        if done >= total or time.monotonic() - shown >= 1.0:  # at most a line a second, and the last one
            shown = time.monotonic()
            print(f"bank import: {done} of {total} transactions ({100 * done // max(total, 1)} %)",
                  file=sys.stderr, flush=True)

    try:
        result = import_file(ledger, path.read_bytes(), progress)
    except InvalidBankFile as exc:
        print(f"ledger: invalid_bank_file: {exc.detail} (nothing was imported)", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    amounts = result["amounts"]
    print(f"{result['format']} file {result['file_id']}: {result['transactions']} transactions")
    print(f"  matched     {result['matched']:>6}  {amounts['matched']:>16}")
    print(f"  unmatched   {result['unmatched']:>6}  {amounts['unmatched']:>16}  "
          f"({result['unassigned']} naming no agreement)")
    print(f"  duplicates  {result['duplicates']:>6}")
    print(f"  debits      {result['debits']:>6}  {amounts['debits']:>16}")
    print(f"  returns     {result['returns']:>6}  {amounts['returns']:>16}")
    print(f"  payouts     {result['payouts_confirmed']:>6}  confirmed paid, "
          f"{result['payouts_amount_mismatch']} of another amount (not confirmed)")
    print(f"  rejected    {len(result['rejected']):>6}")
    for rejected in result["rejected"]:
        where = f"line {rejected['line']}" if "line" in rejected else f"entry {rejected['entry']}"
        print(f"    {where}: {rejected['code']}: {rejected['detail']}")
    return 0
