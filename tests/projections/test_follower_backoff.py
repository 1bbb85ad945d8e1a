"""Issue 16 item 3: the journal follower's pause after a failure starts short again after a success."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

from projections.journal.follow import MAX_BACKOFF_S, Follower


class ScriptedStop:
    """The runner's stop flag, recording each pause instead of sleeping."""

    def __init__(self) -> None:
        self.stopped = False
        self.pauses: list[float] = []

    def is_set(self) -> bool:
        return self.stopped

    def set(self) -> None:
        self.stopped = True

    def clear(self) -> None:
        self.stopped = False

    def wait(self, timeout_s: float) -> bool:
        self.pauses.append(timeout_s)
        return self.stopped


def follow(outcomes: list[str]) -> list[float]:
    """Run a polling follower whose catch-ups fail or succeed as scripted; the pauses it took."""
    stop, script = ScriptedStop(), iter(outcomes)

    def catch_up() -> int:
        for outcome in script:
            if outcome == "fail":
                raise ConnectionError("terminating connection due to administrator command")
            return 1
        stop.set()
        return 0

    runner: Any = SimpleNamespace(app=SimpleNamespace(name="ledger"), batch_size=10, lock=threading.Lock(),
                                  stopping=stop, store=None, catch_up=catch_up)
    follower = Follower(runner, poll_interval_s=0.001)
    follower._supervise(follower._poll)
    assert follower.error is None
    return stop.pauses


def test_failures_in_a_row_double_the_pause_up_to_its_limit() -> None:
    pauses = follow(["fail"] * 12)
    assert pauses[:4] == [0.1, 0.2, 0.4, 0.8]
    assert max(pauses) == pauses[-1] == MAX_BACKOFF_S


def test_a_success_resets_the_pause_so_the_next_blip_is_retried_at_once() -> None:
    """After an outage grew the pause to its limit, a later blip is retried after 0.1 s, not 30 s."""
    pauses = follow(["fail"] * 10 + ["ok", "fail", "ok", "fail", "fail"])
    assert pauses[9] == MAX_BACKOFF_S
    assert pauses[10:] == [0.1, 0.1, 0.2]
