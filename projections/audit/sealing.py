"""The sealing path on PostgreSQL: two SECURITY DEFINER functions, the only way to add to the chain.

The owner role creates them with the tables; the service role is granted EXECUTE on them and SELECT
(not INSERT) on the chain and checkpoint tables, so whatever it runs, it can only add the next events
in log order after the chain's head and checkpoints that meet the chain:

- ``ledger_audit_seal(after, positions[], hashes[])`` checks, under the chain's advisory lock, that the
  head is still at ``after``, that ``positions`` are exactly the stored events after it (none skipped,
  none made up, so the head cannot be pushed past the log) and that each hash is 64 hex characters,
  then inserts them. The hash itself covers the decoded content, which only the service can compute:
  a wrong one is named by verify at its position.
- ``ledger_audit_sign(position, hash, signature, public_key, signed_at)`` stores a checkpoint only for
  a (position, hash) that is in the chain and after the last checkpoint (otherwise it returns false).
"""

from __future__ import annotations

SEAL_FUNCTION = "ledger_audit_seal"
SIGN_FUNCTION = "ledger_audit_sign"
MAX_ROWS = 5_000

_SEAL = """CREATE OR REPLACE FUNCTION {schema}.{seal}(p_after bigint, p_positions bigint[], p_hashes text[])
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n integer := coalesce(cardinality(p_positions), 0);
    found bigint;
    expected bigint[];
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext({lock}));
    IF n = 0 OR n > {max_rows} OR n <> coalesce(cardinality(p_hashes), 0) THEN
        RAISE EXCEPTION 'ledger_audit_seal: 1 to {max_rows} positions, one hash each'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT coalesce(max(position), 0) INTO found FROM {chain};
    IF found <> p_after THEN
        RAISE EXCEPTION 'ledger_audit_seal: the chain is at %, not %', found, p_after
            USING ERRCODE = 'serialization_failure';
    END IF;
    SELECT coalesce(array_agg(notification_id ORDER BY notification_id), '{{}}') INTO expected
        FROM {events} WHERE notification_id > p_after AND notification_id <= p_positions[n];
    IF expected IS DISTINCT FROM p_positions THEN
        RAISE EXCEPTION 'ledger_audit_seal: the positions are not the stored events after %', p_after
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_hashes) AS h WHERE h IS NULL OR h !~ '^[0-9a-f]{{64}}$') THEN
        RAISE EXCEPTION 'ledger_audit_seal: a hash is not 64 hex characters'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO {chain} (position, hash) SELECT * FROM unnest(p_positions, p_hashes);
    RETURN n;
END
$$"""

_SIGN = """CREATE OR REPLACE FUNCTION {schema}.{sign}(p_position bigint, p_hash text, p_signature text,
    p_public_key text, p_signed_at timestamptz)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext({lock}));
    IF NOT EXISTS (SELECT 1 FROM {chain} WHERE position = p_position AND hash = p_hash) THEN
        RAISE EXCEPTION 'ledger_audit_sign: % is not the chain''s hash at position %', p_hash, p_position
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF length(p_signature) > 200 OR length(p_public_key) > 100 OR p_signed_at IS NULL THEN
        RAISE EXCEPTION 'ledger_audit_sign: not a signature' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM {checkpoints} WHERE position >= p_position) THEN
        RETURN false;
    END IF;
    INSERT INTO {checkpoints} (position, hash, signature, public_key, signed_at)
        VALUES (p_position, p_hash, p_signature, p_public_key, p_signed_at);
    RETURN true;
END
$$"""


def literal(text: str) -> str:
    """A PostgreSQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def statements(schema: str, chain: str, checkpoints: str, events: str) -> list[str]:
    """Create (or replace) both functions and take EXECUTE away from PUBLIC (the owner keeps it)."""
    names = {"schema": schema, "seal": SEAL_FUNCTION, "sign": SIGN_FUNCTION, "chain": chain,
             "checkpoints": checkpoints, "events": events, "lock": literal(chain), "max_rows": MAX_ROWS}
    return [_SEAL.format(**names), _SIGN.format(**names),
            f"REVOKE ALL ON FUNCTION {schema}.{SEAL_FUNCTION}(bigint, bigint[], text[]) FROM PUBLIC",
            f"REVOKE ALL ON FUNCTION {schema}.{SIGN_FUNCTION}(bigint, text, text, text, timestamptz) FROM PUBLIC"]
