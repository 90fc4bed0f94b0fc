"""Wire models round-trip unknown fields; stream chunks merge into one response (pure)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcp_antigravity.antigravity.errors import RateLimitError, ResponseFormatError
from mcp_antigravity.antigravity.stream import merge_chunks, read_payload
from mcp_antigravity.antigravity.wire import (
    GenerateContentResponse,
    Part,
    RequestEnvelope,
    ResponseEnvelope,
    Segment,
    to_wire,
)

FULL_RESPONSE = {
    "response": {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"thought": True, "text": "hmm", "thoughtSignature": "c2ln"},
                        {"text": "Hi", "futurePartField": {"x": 1}},
                        {
                            "functionCall": {
                                "name": "get_weather",
                                "args": {"city": "Paris"},
                                "id": "toolu_vrtx_1",
                            },
                            "thoughtSignature": "c2lnMg==",
                        },
                        {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
                    ],
                },
                "finishReason": "STOP",
                "groundingMetadata": {
                    "webSearchQueries": ["q"],
                    "groundingChunks": [{"web": {"uri": "https://a.example", "title": "a.example"}}],
                    "groundingSupports": [
                        {
                            "segment": {"endIndex": 2, "text": "Hi"},
                            "groundingChunkIndices": [0],
                            "confidenceScores": [0.9],
                        }
                    ],
                    "searchEntryPoint": {"renderedContent": "<div/>"},
                },
                "urlContextMetadata": {
                    "urlMetadata": [
                        {
                            "retrievedUrl": "https://a.example",
                            "urlRetrievalStatus": "URL_RETRIEVAL_STATUS_SUCCESS",
                        }
                    ]
                },
                "safetyRatings": [{"category": "HARM_CATEGORY_X", "probability": "NEGLIGIBLE"}],
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 16,
            "candidatesTokenCount": 4,
            "thoughtsTokenCount": 2,
            "totalTokenCount": 22,
        },
        "modelVersion": "claude-sonnet-4-6",
        "responseId": "msg_vrtx_abc",
        "promptFeedback": {"safetyRatings": []},
        "someNewTopLevelField": True,
    },
    "traceId": "abc123",
}


def test_full_response_round_trips_exactly() -> None:
    parsed = ResponseEnvelope.model_validate(FULL_RESPONSE)
    assert to_wire(parsed) == FULL_RESPONSE
    parts = parsed.response.candidates[0].content.parts  # type: ignore[union-attr]
    assert parts[2].function_call is not None and parts[2].function_call.args == {"city": "Paris"}
    assert parts[2].thought_signature == "c2lnMg=="


def test_missing_proto3_zero_values_read_as_zero() -> None:
    segment = Segment.model_validate({"endIndex": 5})
    assert (segment.part_index, segment.start_index, segment.end_index) == (0, 0, 5)


def test_built_envelope_has_exactly_the_reference_shape() -> None:
    envelope = RequestEnvelope.model_validate(
        {
            "project": "p",
            "model": "m",
            "userAgent": "antigravity",
            "requestType": "agent",
            "requestId": "agent-1",
            "request": {
                "contents": [{"role": "user", "parts": [{"text": "Hello"}]}],
                "systemInstruction": {"parts": [{"text": "Be brief."}]},
                "generationConfig": {
                    "maxOutputTokens": 1000,
                    "thinkingConfig": {"thinkingBudget": 8000, "includeThoughts": True},
                },
            },
        }
    )
    wire = to_wire(envelope)
    assert set(wire) == {"project", "model", "request", "userAgent", "requestType", "requestId"}
    assert wire["request"]["generationConfig"]["thinkingConfig"] == {
        "thinkingBudget": 8000,
        "includeThoughts": True,
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)


@given(
    st.dictionaries(st.from_regex(r"zz[A-Za-z]{1,8}", fullmatch=True), json_values, max_size=4),
    st.text(max_size=30),
)
def test_unknown_part_fields_survive(extra: dict[str, Any], text: str) -> None:
    raw = {"text": text, **extra}
    assert to_wire(Part.model_validate(raw)) == raw


def chunk(text: str | None = None, **candidate: Any) -> GenerateContentResponse:
    parts = [] if text is None else [{"text": text}]
    return GenerateContentResponse.model_validate(
        {
            "candidates": [{"content": {"role": "model", "parts": parts}, **candidate}],
            "responseId": "r1",
            "modelVersion": "v1",
        }
    )


def test_merge_joins_text_and_keeps_last_finish_and_usage() -> None:
    last = chunk(" world", finishReason="STOP")
    last.usage_metadata = GenerateContentResponse.model_validate(
        {"usageMetadata": {"totalTokenCount": 9}}
    ).usage_metadata
    merged = merge_chunks([chunk("Hello"), chunk(","), last])
    assert to_wire(merged) == {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": "Hello, world"}]}, "finishReason": "STOP"}
        ],
        "usageMetadata": {"totalTokenCount": 9},
        "modelVersion": "v1",
        "responseId": "r1",
    }


def test_merge_never_joins_signed_parts_or_thoughts_with_text() -> None:
    chunks = [
        GenerateContentResponse.model_validate(
            {"candidates": [{"content": {"parts": [{"thought": True, "text": "a"}]}}]}
        ),
        GenerateContentResponse.model_validate(
            {"candidates": [{"content": {"parts": [{"thought": True, "text": "b"}]}}]}
        ),
        GenerateContentResponse.model_validate({"candidates": [{"content": {"parts": [{"text": "c"}]}}]}),
        GenerateContentResponse.model_validate(
            {"candidates": [{"content": {"parts": [{"text": "", "thoughtSignature": "sig"}]}}]}
        ),
        GenerateContentResponse.model_validate(
            {"candidates": [{"content": {"parts": [{"text": "d"}]}, "finishReason": "STOP"}]}
        ),
    ]
    parts = merge_chunks(chunks).candidates[0].content.parts  # type: ignore[union-attr]
    assert [(p.text, p.thought, p.thought_signature) for p in parts] == [
        ("ab", True, None),
        ("c", None, None),
        ("", None, "sig"),
        ("d", None, None),
    ]


def test_read_payload_raises_typed_errors_from_inside_the_stream() -> None:
    payload = json.dumps(
        [
            {
                "error": {
                    "code": 429,
                    "status": "RESOURCE_EXHAUSTED",
                    "message": "slow down",
                    "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2s"}],
                }
            }
        ]
    )
    with pytest.raises(RateLimitError) as caught:
        read_payload(payload)
    assert caught.value.retry_after == 2.0


@pytest.mark.parametrize("data", ["", "   ", "[DONE]"])
def test_read_payload_skips_keepalives(data: str) -> None:
    assert read_payload(data) is None


@pytest.mark.parametrize("data", ["not json", '{"response": []}'])
def test_read_payload_rejects_garbage(data: str) -> None:
    with pytest.raises(ResponseFormatError):
        read_payload(data)
