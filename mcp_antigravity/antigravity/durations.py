"""Parse the Go-style durations the upstream puts in retry hints (``3.9s``, ``500ms``, ``1h16m0.667s``)."""

from __future__ import annotations

import re

_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_TERM = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text: str) -> float | None:
    """Seconds in a Go duration string, or ``None`` when it is not one.

    ``"0"`` is zero, as in Go; a leading ``+`` is accepted and negative durations are not
    (a retry hint is never negative).
    """
    value = text.strip().lstrip("+")
    if value == "0":
        return 0.0
    if not value:
        return None
    total = 0.0
    position = 0
    for match in _TERM.finditer(value):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    return total if position == len(value) and position > 0 else None
