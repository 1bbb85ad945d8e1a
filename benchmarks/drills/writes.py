"""Drills under write load: two replicas, kill -9, PostgreSQL connections terminated, mixed load."""

from __future__ import annotations

import threading
import time

import psycopg

from benchmarks.drills.common import Payments, Row
from benchmarks.history import PG
from benchmarks.service import Server, Service
from benchmarks.soak import Load


def replicas(svc: Service, servers: list[Server]) -> Row:
    """Concurrent payments from 16 clients over two API processes on one database."""
    payments = Payments(svc, [server.url for server in servers])
    payments.run(16, each=8)
    return payments.check(Row("two replicas, concurrent payments"))


def kill_9(svc: Service, servers: list[Server]) -> Row:
    """kill -9 of one replica under write load, then a restart: every 201 stored, exactly once.

    The clients write to the replica that is killed; a write cut off is repeated with its key until
    the restarted process answers (it may have been committed, or not: either way once).
    """
    victim = servers[0]
    payments = Payments(svc, [victim.url])

    def kill_and_restart() -> None:
        time.sleep(4)
        victim.kill()
        time.sleep(1)
        servers[0] = Server(svc, port=victim.port)
        time.sleep(3)

    payments.run(8, during=kill_and_restart)
    return payments.check(Row("kill -9 under writes, restart"))


def terminate(svc: Service, servers: list[Server]) -> Row:
    """pg_terminate_backend of every connection of the service, four times, under writes and reads."""
    payments = Payments(svc, [server.url for server in servers])
    load = Load(svc, servers[1].url, grow_seconds=0)
    readers = [threading.Thread(target=load.client, args=(n,), daemon=True) for n in range(2)]
    terminated = []

    def terminate_repeatedly() -> None:
        for thread in readers:
            thread.start()
        with psycopg.connect(autocommit=True, **PG) as conn:  # type: ignore[arg-type]
            for _ in range(4):
                time.sleep(1.5)
                rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE application_name = %s", (svc.env["PGAPPNAME"],)).fetchall()
                terminated.append(len(rows))
        time.sleep(2)
        load.stop.set()
        for thread in readers:
            thread.join(timeout=60)

    payments.run(8, during=terminate_repeatedly)
    row = payments.check(Row("PostgreSQL connections terminated"))
    count, _p50, _p99, errors = load.minute(0)
    row.requests += count
    row.server_errors += errors
    if sum(terminated) == 0:
        row.problems.append("no connection of the service was found to terminate")
    row.note = f"{sum(terminated)} connections terminated"
    return row


def mixed(svc: Service, servers: list[Server], seconds: float = 20) -> Row:
    """A short mixed load (the soak's mix) over both replicas, with payments acknowledged and checked."""
    loads = [Load(svc, server.url, grow_seconds=0) for server in servers]
    readers = [threading.Thread(target=load.client, args=(n,), daemon=True)
               for n, load in enumerate(loads * 2)]
    payments = Payments(svc, [server.url for server in servers])

    def read_meanwhile() -> None:
        for thread in readers:
            thread.start()

    payments.run(2, seconds=seconds, during=read_meanwhile)
    row = payments.check(Row("mixed load"))
    p99s = []
    for load in loads:
        load.stop.set()
    for thread in readers:
        thread.join(timeout=60)
    for load in loads:
        count, _p50, p99, errors = load.minute(0)
        row.requests += count
        row.server_errors += errors
        p99s.append(p99)
    row.note = f"p99 {max(p99s):.0f} ms"
    return row
