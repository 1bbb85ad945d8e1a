"""The drills: the service tried as an operator and an attacker would, on loopback and PostgreSQL.

`make drills` (`python -m benchmarks.drills`) runs them all, prints a table of figures and exits
non-zero on any acknowledged write lost, duplicate, leak, 5xx or undetected tamper. See docs/drills.md.
"""
