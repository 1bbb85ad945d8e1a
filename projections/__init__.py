"""Read models kept from the event log with tracking (each event applied exactly once, in order)."""
