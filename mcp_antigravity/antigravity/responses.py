"""Reading an answer: the one place that knows where the text, the finish reason and the token
counts of a ``generateContent`` response are, and when it holds no answer.

:func:`read` turns a response into an :class:`Answer`, or raises :class:`NoAnswer` with a
message for the caller when the prompt was blocked, no candidate came back, or the model
stopped for a reason that leaves nothing usable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from .wire import Content, GenerateContentResponse

# Finish reasons that still come with a usable answer.
ANSWERED = frozenset({"STOP", "MAX_TOKENS", "FINISH_REASON_UNSPECIFIED", "OTHER"})


class NoAnswer(Exception):
    """The upstream answered, but with nothing usable; the message says why and what to do."""


class Usage(BaseModel):
    prompt_tokens: int = Field(default=0, description="Tokens in the prompt (media included).")
    output_tokens: int = Field(default=0, description="Tokens in the answer.")
    thinking_tokens: int = Field(default=0, description="Tokens the model spent thinking.")
    total_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            thinking_tokens=self.thinking_tokens + other.thinking_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )


@dataclass(frozen=True)
class Answer:
    """The first candidate of a response, read."""

    text: str
    """The answer's text, thoughts left out."""
    content: Content
    """The model's turn as it came (with its signatures), to store in a conversation."""
    finish_reason: str | None
    usage: Usage
    model_version: str | None = None
    response_id: str | None = None
    thoughts: list[str] = field(default_factory=list)

    @property
    def cut(self) -> bool:
        """The answer stopped at the output limit."""
        return self.finish_reason == "MAX_TOKENS"


def finish_reason(response: GenerateContentResponse) -> str | None:
    """Why the first candidate stopped (``None`` without a candidate, or when the upstream did not say)."""
    return response.candidates[0].finish_reason if response.candidates else None


def usage_of(response: GenerateContentResponse) -> Usage:
    usage = response.usage_metadata
    if usage is None:
        return Usage()
    return Usage(
        prompt_tokens=usage.prompt_token_count,
        output_tokens=usage.candidates_token_count,
        thinking_tokens=usage.thoughts_token_count,
        total_tokens=usage.total_token_count,
    )


def read(response: GenerateContentResponse, model: str, *, acts: bool = False) -> Answer:
    """The answer in ``response`` from ``model``. ``acts``: the answer does something other than
    speak (calls functions), so an empty text with an odd finish reason is still an answer."""
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason:
        detail = f": {feedback.block_reason_message}" if feedback.block_reason_message else "."
        raise NoAnswer(
            f"The upstream blocked the prompt ({feedback.block_reason}){detail} Rephrase it and retry."
        )
    if not response.candidates:
        raise NoAnswer(f"Model {model} returned no answer. Retry, or try another model.")
    candidate = response.candidates[0]
    text = response.answer_text
    finish = finish_reason(response)
    if finish is not None and finish not in ANSWERED and not text and not acts:
        raise NoAnswer(
            f"Model {model} stopped without an answer (finish reason {finish}). "
            "Rephrase the prompt or try another model."
        )
    content = candidate.content or Content(role="model")
    return Answer(
        text=text,
        content=content,
        finish_reason=finish,
        usage=usage_of(response),
        model_version=response.model_version,
        response_id=response.response_id,
        thoughts=[p.text for p in content.parts if p.thought and p.text],
    )
