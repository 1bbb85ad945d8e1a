"""Scheduled jobs that ask "what is due as of today?" and call idempotent commands."""
