"""A circuit breaker per provider: after N consecutive failures stop calling for a cooldown.

closed -> (N failures in a row) -> open -> (cooldown elapsed) -> half_open: one trial call is let
through; success closes, failure re-opens for another cooldown. State lives in the engine process
(one breaker per provider per engine instance), so it persists across step calls."""
from __future__ import annotations

import threading
import time
from typing import Callable, Optional


class CircuitBreaker:
    def __init__(self, failures: int, cooldown_s: float, clock: Callable[[], float] = time.monotonic):
        if failures < 1:
            raise ValueError("failures must be >= 1")
        self.threshold = failures
        self.cooldown_s = cooldown_s
        self.clock = clock
        self._lock = threading.Lock()
        self._consecutive = 0
        self._opened_at: Optional[float] = None
        self._trial_in_flight = False
        self.opened_count = 0

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self.clock() - self._opened_at >= self.cooldown_s:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        """May a call go out now? In half_open only one trial call at a time is allowed."""
        with self._lock:
            s = self._state()
            if s == "closed":
                return True
            if s == "half_open" and not self._trial_in_flight:
                self._trial_in_flight = True
                return True
            return False

    def retry_in_s(self) -> float:
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self.cooldown_s - (self.clock() - self._opened_at))

    def record_success(self) -> None:
        with self._lock:
            self._consecutive = 0
            self._opened_at = None
            self._trial_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            self._consecutive += 1
            was_trial = self._trial_in_flight
            self._trial_in_flight = False
            if was_trial or (self._opened_at is None and self._consecutive >= self.threshold):
                self._opened_at = self.clock()
                self.opened_count += 1

    def snapshot(self) -> dict:
        with self._lock:
            return {"state": self._state(), "consecutive_failures": self._consecutive,
                    "opened_count": self.opened_count,
                    "retry_in_s": round(max(0.0, self.cooldown_s - (self.clock() - self._opened_at)), 3)
                    if self._opened_at is not None else 0.0}
