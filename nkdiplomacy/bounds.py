"""Numeric bounds of recipe keys and model hyper-parameters, declared beside them and checked on load."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bound:
    """An interval from ``low`` (excluded when ``low_open``) up to ``high`` (``None``: unbounded)."""

    low: float
    high: float | None = None
    low_open: bool = False

    def violation(self, value: float) -> str | None:
        """Why ``value`` is out of bounds (``"must be ..."``), or ``None`` when it is within."""
        above = value > self.low if self.low_open else value >= self.low
        if above and (self.high is None or value <= self.high):  # NaN fails both comparisons
            return None
        if self.high is not None and not self.low_open:
            return f"must be between {_show(self.low)} and {_show(self.high)}"
        low = f"greater than {_show(self.low)}" if self.low_open else f"{_show(self.low)} or more"
        return f"must be {low}" + (f" and at most {_show(self.high)}" if self.high is not None else "")


def _show(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


POSITIVE = Bound(0, low_open=True)
NON_NEGATIVE = Bound(0)
AT_LEAST_ONE = Bound(1)
UNIT = Bound(0, 1)
