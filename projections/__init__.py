"""Read models kept from the ledger's events: the journal, the figures over it, and the audit chain."""
