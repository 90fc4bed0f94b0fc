"""Citation markers at exact UTF-8 byte offsets (pure)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mcp_antigravity.antigravity.wire import GroundingMetadata
from mcp_antigravity.web.citations import domain_of, place_markers, sources_of


def metadata(supports: list[dict[str, Any]], chunks: int = 3) -> GroundingMetadata:
    return GroundingMetadata.model_validate(
        {
            "groundingChunks": [
                {"web": {"uri": f"https://r.example/{i}", "title": f"site{i}.example"}} for i in range(chunks)
            ],
            "groundingSupports": supports,
        }
    )


def support(start: int | None, end: int, *chunks: int, part: int | None = None) -> dict[str, Any]:
    segment: dict[str, Any] = {"endIndex": end}
    if start:
        segment["startIndex"] = start
    if part:
        segment["partIndex"] = part
    return {"segment": segment, "groundingChunkIndices": list(chunks)}


def test_markers_follow_multibyte_sentences() -> None:
    text = "서울은 맑다. Rockets 🚀 fly."
    first = len("서울은 맑다.".encode())  # 16 bytes, 7 characters
    meta = metadata([support(None, first, 0), support(first + 1, len(text.encode()), 1, 2)])
    [placed] = place_markers([text], meta, {0: 1, 1: 2, 2: 3})
    assert placed == "서울은 맑다.[1] Rockets 🚀 fly.[2][3]"


def test_character_offsets_would_be_wrong() -> None:
    text = "🚀🚀 go. next."
    meta = metadata([support(None, len("🚀🚀 go.".encode()), 0)])
    assert place_markers([text], meta, {0: 1}) == ["🚀🚀 go.[1] next."]


def test_offsets_inside_a_character_move_to_its_end() -> None:
    [placed] = place_markers(["é!"], metadata([support(None, 1, 0)]), {0: 1})  # é is 2 bytes
    assert placed == "é[1]!"


def test_part_index_and_unknown_chunks() -> None:
    meta = metadata([support(None, 2, 0, part=1), support(None, 1, 7)])
    assert place_markers(["aa", "bb"], meta, {0: 1}) == ["aa", "bb[1]"]


def test_sources_merge_duplicates_and_honour_the_limit() -> None:
    meta = GroundingMetadata.model_validate(
        {
            "groundingChunks": [
                {"web": {"uri": "https://r/1", "title": "a.example"}},
                {"web": {"uri": "https://r/2", "title": "Title B"}},
                {"web": {"uri": "https://r/3", "title": "a.example"}},
            ]
        }
    )
    sources, numbers = sources_of(
        meta,
        {
            "https://r/1": "https://a.example/x",
            "https://r/3": "https://a.example/x",
            "https://r/2": "https://www.b.example/y",
        },
        None,
    )
    assert [(s.number, s.url, s.domain) for s in sources] == [
        (1, "https://a.example/x", "a.example"),
        (2, "https://www.b.example/y", "b.example"),
    ]
    assert numbers == {0: 1, 1: 2, 2: 1}
    limited, numbers = sources_of(meta, {}, 1)
    assert len(limited) == 1 and numbers == {0: 1}
    assert domain_of("Some Title", "https://www.c.example/") == "c.example"


sentences = st.lists(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="[]"),
        min_size=1,
        max_size=12,
    ),
    min_size=1,
    max_size=6,
)


@given(sentences)
def test_each_marker_lands_right_after_its_sentence(parts: list[str]) -> None:
    text, supports, ends = "", [], []
    for index, sentence in enumerate(parts):
        start = len(text.encode())
        text += sentence
        supports.append(support(start, len(text.encode()), index))
        ends.append(len(text))
    [placed] = place_markers([text], metadata(supports, len(parts)), {i: i + 1 for i in range(len(parts))})
    for number in range(1, len(parts) + 1):
        marker = f"[{number}]"
        before = placed[: placed.index(marker)]
        cleaned = before
        for n in range(1, number):
            cleaned = cleaned.replace(f"[{n}]", "")
        assert cleaned == text[: ends[number - 1]]
