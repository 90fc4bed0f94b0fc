"""The web services' refusals, each message written for the caller."""

from __future__ import annotations


class WebError(Exception):
    """A page cannot be read or a search cannot be answered; the message says why and what to do."""
