"""Typed models of the upstream's JSON (Gemini-style ``contents`` in, ``candidates`` out).

Field names are snake_case in Python and camelCase on the wire. Fields this module does not
know are kept (``extra="allow"``) and written back unchanged, so a response can be stored
and resent without losing anything the upstream added. Dump with :func:`to_wire`.
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer
from pydantic.alias_generators import to_camel

Role = Literal["user", "model"]


class WireModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="allow",
    )

    @model_serializer(mode="wrap")
    def _drop_empty_fields(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Leave out declared fields that are None; unknown fields are written back whatever they hold."""
        data = handler(self)
        if not isinstance(data, dict):
            return data
        extra = self.model_extra or {}
        return {key: value for key, value in data.items() if value is not None or key in extra}


def to_wire(model: WireModel) -> dict[str, Any]:
    """The JSON object for ``model``: camelCase names; fields never set (and ``None``) left out.

    A parsed message therefore dumps back to exactly what was received, and a built one to
    exactly what its builder set.
    """
    return model.model_dump(mode="json", exclude_unset=True, by_alias=True)


# --------------------------------------------------------------------------- parts


class Blob(WireModel):
    mime_type: str
    data: str = Field(description="Base64, without a data: URI prefix.")


class FileData(WireModel):
    mime_type: str | None = None
    file_uri: str


class FunctionCall(WireModel):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None


class FunctionResponse(WireModel):
    name: str
    response: dict[str, Any]
    id: str | None = None


class Part(WireModel):
    """One part of a turn; a thought signature travels with the part that carried it."""

    text: str | None = None
    thought: bool | None = None
    thought_signature: str | None = None
    inline_data: Blob | None = None
    file_data: FileData | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None


class Content(WireModel):
    role: Role | None = None
    parts: list[Part] = Field(default_factory=list)


# --------------------------------------------------------------------------- request


class ThinkingConfig(WireModel):
    thinking_budget: int | None = None
    thinking_level: str | None = None
    include_thoughts: bool | None = None


class ImageConfig(WireModel):
    aspect_ratio: str | None = None
    image_size: str | None = None


class GenerationConfig(WireModel):
    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop_sequences: list[str] | None = None
    candidate_count: int | None = None
    response_mime_type: str | None = None
    response_schema: dict[str, Any] | None = None
    response_modalities: list[str] | None = None
    thinking_config: ThinkingConfig | None = None
    image_config: ImageConfig | None = None
    media_resolution: str | None = None


class FunctionDeclaration(WireModel):
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None


class Tool(WireModel):
    function_declarations: list[FunctionDeclaration] | None = None
    google_search: dict[str, Any] | None = None
    url_context: dict[str, Any] | None = None


class FunctionCallingConfig(WireModel):
    mode: Literal["AUTO", "ANY", "NONE", "VALIDATED"] | None = None
    allowed_function_names: list[str] | None = None


class ToolConfig(WireModel):
    function_calling_config: FunctionCallingConfig | None = None


class GenerateContentRequest(WireModel):
    """The ``request`` object inside the envelope."""

    contents: list[Content]
    system_instruction: Content | None = None
    generation_config: GenerationConfig | None = None
    tools: list[Tool] | None = None
    tool_config: ToolConfig | None = None
    session_id: str | None = None


def new_session_id() -> str:
    """A ``request.sessionId`` in the form the upstream's own client sends (``-<63-bit integer>``):
    random, so it reveals nothing and never repeats between conversations."""
    return f"-{secrets.randbits(63)}"


class RequestEnvelope(WireModel):
    """What is POSTed to ``generateContent`` and ``streamGenerateContent``."""

    project: str
    model: str
    request: GenerateContentRequest
    user_agent: str
    request_type: str
    request_id: str


# --------------------------------------------------------------------------- response


class WebChunk(WireModel):
    uri: str | None = None
    title: str | None = None


class GroundingChunk(WireModel):
    web: WebChunk | None = None


class Segment(WireModel):
    """proto3 leaves zero out: a missing ``start_index`` or ``part_index`` means 0."""

    part_index: int = 0
    start_index: int = 0
    end_index: int = 0
    text: str | None = None


class GroundingSupport(WireModel):
    segment: Segment
    grounding_chunk_indices: list[int] = Field(default_factory=list)
    confidence_scores: list[float] = Field(default_factory=list)


class SearchEntryPoint(WireModel):
    rendered_content: str | None = None


class GroundingMetadata(WireModel):
    web_search_queries: list[str] = Field(default_factory=list)
    grounding_chunks: list[GroundingChunk] = Field(default_factory=list)
    grounding_supports: list[GroundingSupport] = Field(default_factory=list)
    search_entry_point: SearchEntryPoint | None = None


class UrlMetadata(WireModel):
    retrieved_url: str | None = None
    url_retrieval_status: str | None = None


class UrlContextMetadata(WireModel):
    url_metadata: list[UrlMetadata] = Field(default_factory=list)


class Candidate(WireModel):
    content: Content | None = None
    finish_reason: str | None = None
    index: int = 0
    finish_message: str | None = None
    grounding_metadata: GroundingMetadata | None = None
    url_context_metadata: UrlContextMetadata | None = None


class UsageMetadata(WireModel):
    prompt_token_count: int = 0
    candidates_token_count: int = 0
    thoughts_token_count: int = 0
    cached_content_token_count: int = 0
    total_token_count: int = 0


class PromptFeedback(WireModel):
    block_reason: str | None = None
    block_reason_message: str | None = None


class GenerateContentResponse(WireModel):
    """One response (or one stream chunk) from the upstream, unwrapped from its envelope."""

    candidates: list[Candidate] = Field(default_factory=list)
    usage_metadata: UsageMetadata | None = None
    model_version: str | None = None
    response_id: str | None = None
    prompt_feedback: PromptFeedback | None = None

    @property
    def answer_text(self) -> str:
        """The first candidate's text, thoughts left out."""
        if not self.candidates or self.candidates[0].content is None:
            return ""
        return "".join(p.text or "" for p in self.candidates[0].content.parts if not p.thought)

    @property
    def only_text(self) -> bool:
        """The answer is text and nothing else (no function calls, no images)."""
        content = self.candidates[0].content if self.candidates else None
        return content is not None and all(
            p.function_call is None and p.inline_data is None for p in content.parts
        )


class ResponseEnvelope(WireModel):
    response: GenerateContentResponse
    trace_id: str | None = None


# --------------------------------------------------------------------------- discovery


class ClientMetadata(WireModel):
    """Discovery's ``metadata``: the Antigravity IDE (``IDE_UNSPECIFIED`` is the Gemini CLI's identity)."""

    ide_type: str
    ide_version: str | None = None
    ide_name: str | None = None


class Tier(WireModel):
    id: str
    is_default: bool = False


class LoadCodeAssistResponse(WireModel):
    cloudaicompanion_project: str | dict[str, Any] | None = None
    current_tier: Tier | None = None
    allowed_tiers: list[Tier] = Field(default_factory=list)

    @property
    def project_id(self) -> str | None:
        return _project_id(self.cloudaicompanion_project)

    @property
    def tier_id(self) -> str:
        """The tier to onboard into: the current one, else the default allowed one, else the free tier."""
        if self.current_tier is not None:
            return self.current_tier.id
        return next((tier.id for tier in self.allowed_tiers if tier.is_default), "free-tier")


class Operation(WireModel):
    name: str | None = None
    done: bool = False
    response: dict[str, Any] | None = None

    @property
    def project_id(self) -> str | None:
        return _project_id((self.response or {}).get("cloudaicompanionProject"))


def _project_id(project: object) -> str | None:
    """``cloudaicompanionProject`` comes as a plain id or as ``{"id": ...}``."""
    if isinstance(project, dict):
        project = project.get("id")
    return project if isinstance(project, str) and project else None
