"""Exponential backoff with full jitter, a circuit breaker per source, and the poll schedule."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from croniter import croniter

from connectors.config import RetryPolicy, Schedule


@dataclass
class Backoff:
    """Delay before retry n: uniform in [0, min(max, initial × 2^n)] ("full jitter")."""

    initial: float
    maximum: float
    rng: random.Random = field(default_factory=random.Random)
    attempts: int = 0

    def next_delay(self) -> float:
        """The delay before the next retry; each call doubles the ceiling."""
        ceiling = min(self.maximum, self.initial * 2**self.attempts)
        self.attempts += 1
        return self.rng.uniform(0, ceiling)

    def reset(self) -> None:
        """Start over after a success."""
        self.attempts = 0


@dataclass
class CircuitBreaker:
    """Opens after ``threshold`` consecutive failures; after ``reset_after`` seconds lets one trial poll through.

    A failed trial opens it again for another ``reset_after``; a successful one closes it.
    """

    threshold: int
    reset_after: float
    failures: int = 0
    opened_at: float | None = None

    @classmethod
    def from_policy(cls, policy: RetryPolicy) -> CircuitBreaker:
        """A breaker with a source's retry policy."""
        return cls(policy.breaker_failures, policy.breaker_reset)

    def state(self, now: float) -> str:
        """``closed``, ``open`` or ``half_open`` at monotonic time ``now``."""
        if self.opened_at is None:
            return "closed"
        return "half_open" if now - self.opened_at >= self.reset_after else "open"

    def allow(self, now: float) -> bool:
        """Whether a poll may run at monotonic time ``now``."""
        return self.state(now) != "open"

    def seconds_until_trial(self, now: float) -> float:
        """Seconds until the breaker lets a trial poll through (0 when it is not open)."""
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.reset_after - (now - self.opened_at))

    def record_success(self) -> None:
        """Close the breaker."""
        self.failures = 0
        self.opened_at = None

    def record_failure(self, now: float) -> None:
        """Count a failure; open (or re-open) the breaker at the threshold."""
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = now


def next_run(schedule: Schedule, after: dt.datetime, zone: dt.tzinfo = dt.UTC) -> dt.datetime:
    """The next time a poll is due after ``after`` (aware); cron expressions are read in ``zone``."""
    if schedule.cron is not None:
        return croniter(schedule.cron, after.astimezone(zone)).get_next(dt.datetime)
    assert schedule.interval is not None  # noqa: S101 - the model guarantees one of the two
    return after + dt.timedelta(seconds=schedule.interval)
