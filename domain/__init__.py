"""The pure domain: money, rules, aggregates, events and the application (the only write API)."""
