"""The event-store library's PostgreSQL statements, rendered to text once instead of on every execution.

The library keeps its statements as composed SQL (its schema and table names as quoted identifiers)
and psycopg renders a composed statement again each time it runs: quoting every identifier, joining
the parts, before it can look the text up in its cache of parsed queries. A payment runs about ten
of them (the table lock, the notification, the insert, the reads of its aggregates). Rendered once at
start-up into plain SQL text, each is the same statement, byte for byte, and psycopg's cache answers
it at once. The statements that create the tables run once and are left as they are.
"""

from __future__ import annotations

from typing import Any

from psycopg.sql import SQL, Composed

SKIPPED = frozenset({"sql_create_statements"})
_TEXT_ROWS, _BINARY_ROWS = "unnest(%s::", "unnest(%b::"


def render_statements(recorder: Any) -> list[str]:
    """Replace each composed statement the recorder holds (alone or in a list) by its text; returns the
    names of the attributes rendered."""
    rendered = []
    for name, value in list(vars(recorder).items()):
        if name in SKIPPED:
            continue
        if isinstance(value, Composed):
            setattr(recorder, name, SQL(value.as_string()))
            rendered.append(name)
        elif isinstance(value, list) and value and all(isinstance(item, Composed) for item in value):
            setattr(recorder, name, [SQL(item.as_string()) for item in value])
            rendered.append(name)
    return rendered


def binary_rows(statement: SQL) -> SQL:
    """The library's insert with its array of stored events sent in PostgreSQL's binary format: each
    event's state goes as its bytes, where the text format escaped every row and hex-encoded its state
    (a regular expression per row, the largest part of encoding an invoicing run's events)."""
    text = statement.as_string()
    assert text.count(_TEXT_ROWS) == 1, "the insert's array of events is its one text parameter"
    return SQL(text.replace(_TEXT_ROWS, _BINARY_ROWS))
