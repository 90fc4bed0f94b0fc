"""Function names: one table row per rule, and properties over any input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcp_antigravity.conversation.names import VALID_NAME, FunctionNames, sanitize_function_name

RULES = [
    ("valid names are kept", "get_weather", "get_weather"),
    ("colons and dots are valid", "mcp:mongodb.query", "mcp:mongodb.query"),
    ("dashes are valid", "read-file", "read-file"),
    ("slash becomes underscore", "mcp/query", "mcp_query"),
    ("spaces become underscores", "get weather now", "get_weather_now"),
    ("leading digit gets an underscore", "123_tool", "_123_tool"),
    ("leading dash gets an underscore", "-x", "_-x"),
    ("accents fold to ASCII", "wetter_für_ort", "wetter_fur_ort"),
    ("other non-ASCII becomes underscores", "天气", "__"),
    ("empty name", "", "_"),
    ("exactly 64 characters are kept", "a" * 64, "a" * 64),
]


@pytest.mark.parametrize(("original", "expected"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_sanitize_rules(original: str, expected: str) -> None:
    assert sanitize_function_name(original) == expected


def test_long_names_keep_a_prefix_and_a_hash() -> None:
    first, second = "x" * 70 + "_one", "x" * 70 + "_two"
    a, b = sanitize_function_name(first), sanitize_function_name(second)
    assert len(a) == 64 and a.startswith("x" * 55 + "_")
    assert a != b


def test_colliding_names_stay_apart_and_map_back() -> None:
    names = FunctionNames()
    wire = [names.add(n) for n in ("a/b", "a_b", "a b", "a/b")]
    assert wire[0] == "a_b" and wire[3] == wire[0]  # the same original keeps its name
    assert len(set(wire[:3])) == 3
    assert [names.original(w) for w in wire[:3]] == ["a/b", "a_b", "a b"]
    assert names.original("never_declared") is None


@given(st.lists(st.text(max_size=90), max_size=12, unique=True))
def test_any_names_become_distinct_valid_names_that_map_back(originals: list[str]) -> None:
    names = FunctionNames()
    wire = [names.add(n) for n in originals]
    assert all(VALID_NAME.fullmatch(w) for w in wire)
    assert len(set(wire)) == len(wire)
    assert [names.original(w) for w in wire] == originals


@given(st.text(max_size=90))
def test_sanitize_is_idempotent(name: str) -> None:
    once = sanitize_function_name(name)
    assert sanitize_function_name(once) == once
