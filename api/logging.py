"""structlog, as JSON lines (on stdout for the server, stderr for the commands), with the request or job id bound."""

from __future__ import annotations

import logging
import sys

import structlog


class _Stream:
    """sys.stdout or sys.stderr as it is at each write, so a later redirection is followed."""

    def __init__(self, name: str) -> None:
        self.name = name

    def write(self, text: str) -> int:
        return getattr(sys, self.name).write(text)

    def flush(self) -> None:
        getattr(sys, self.name).flush()


def configure_logging(level: str = "INFO", *, to_stderr: bool = False) -> None:
    """JSON logs on stdout (stderr for the commands); context variables (request_id, job_id) are merged."""
    stream = _Stream("stderr" if to_stderr else "stdout")
    logging.basicConfig(format="%(message)s", stream=stream, level=level)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )
