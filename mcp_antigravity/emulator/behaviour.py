"""What the emulated models answer: a pure function of the request, so tests can assert on it.

* The answer is ``Echo: <text of the last user turn>``, preceded by
  ``[system: <system instruction>] `` when there is one, and followed by a description of the
  images in that turn; audio is transcribed instead (:mod:`.media`); image models draw
  (:mod:`.images`); ``googleSearch`` and ``urlContext`` answer from :mod:`.search`.
* Tokens are words (runs of non-space characters). The prompt counts every text part of the
  request; the answer is cut at ``maxOutputTokens`` words (finish reason ``MAX_TOKENS``)
  and before the first stop sequence it contains (``STOP``).
* A model that thinks (a thinking model, or a ``thinkingConfig`` that does not turn it off)
  thinks ``Thinking about: <last user text>``; the words count as ``thoughtsTokenCount`` and
  the thought is sent as a ``thought: true`` part only when ``includeThoughts`` is set.
* ``responseId`` is ``msg_vrtx_`` plus 24 characters for Claude and 23 base64url characters
  for Gemini and GPT-OSS, derived from the request id; ``modelVersion`` comes from the
  emulated catalog.
* A stream sends the thought first, then the answer in pieces of ``chunk_words`` words, then
  any function calls; the last chunk carries ``finishReason`` and ``usageMetadata``.
* Function calls, function results and structured output follow :mod:`.tooluse`; Claude
  ends a turn of function calls with ``OTHER`` and gives call ids, the others ``STOP``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import string
from dataclasses import dataclass, field
from typing import Any

from .catalog import EmulatedModel
from .images import REFUSAL_TEXT, pixel_size, png, refusal
from .media import describe_images, inline_media, transcribe
from .search import read_urls, search, uses
from .signatures import Signer, sign_parts
from .tooluse import function_call_parts, function_results_text, functions_to_call, structured_answer

_WORD = re.compile(r"\S+")
_PIECE = re.compile(r"\s*\S+")
_ALNUM = string.ascii_letters + string.digits


@dataclass
class Reply:
    model: EmulatedModel
    answer: str
    thought: str | None
    show_thought: bool
    finish_reason: str
    prompt_tokens: int
    response_id: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    candidate_extra: dict[str, Any] = field(default_factory=dict)
    """groundingMetadata / urlContextMetadata, sent with the last chunk."""

    @property
    def usage(self) -> dict[str, int]:
        output = count_tokens(self.answer)
        thoughts = count_tokens(self.thought or "")
        usage = {
            "promptTokenCount": self.prompt_tokens,
            "candidatesTokenCount": output,
            "totalTokenCount": self.prompt_tokens + output + thoughts,
        }
        if thoughts:
            usage["thoughtsTokenCount"] = thoughts
        return usage


def count_tokens(text: str) -> int:
    return len(_WORD.findall(text))


def _texts(content: dict[str, Any]) -> list[str]:
    return [part["text"] for part in content.get("parts", []) if "text" in part and not part.get("thought")]


def _last_user_turn(contents: list[dict[str, Any]]) -> dict[str, Any]:
    return next((c for c in reversed(contents) if c.get("role", "user") == "user"), {})


def _thinks(request: dict[str, Any], model: EmulatedModel) -> bool:
    """Gemini 3 and always-thinking models think unless told otherwise; Claude models that can
    answer without thinking think only when given a budget."""
    thinking = request.get("generationConfig", {}).get("thinkingConfig")
    if model.thinking == "none":
        return False
    if thinking is None:
        return model.family != "claude" or not model.can_disable_thinking
    if model.family == "claude" and model.can_disable_thinking and "thinkingBudget" not in thinking:
        return False
    return int(thinking.get("thinkingBudget", -1)) != 0


def notice_reply(model: EmulatedModel, notice: str, request_id: str) -> Reply:
    """A 200 that carries an upstream notice (a retired model) instead of an answer."""
    return Reply(
        model=model,
        answer=notice,
        thought=None,
        show_thought=False,
        finish_reason="STOP",
        prompt_tokens=0,
        response_id=response_id(model, request_id),
    )


def response_id(model: EmulatedModel, request_id: str) -> str:
    digest = hashlib.sha256(f"{model.id}/{request_id}".encode()).digest()
    if model.family == "claude":
        return "msg_vrtx_" + "".join(_ALNUM[b % len(_ALNUM)] for b in digest[:24])
    return base64.urlsafe_b64encode(digest).decode()[:23]


def trace_id(request_id: str) -> str:
    return hashlib.sha256(f"trace/{request_id}".encode()).hexdigest()[:16]


def _truncate(answer: str, stop_sequences: list[str], max_tokens: int | None) -> tuple[str, str]:
    finish = "STOP"
    cuts = [answer.find(s) for s in stop_sequences if s and s in answer]
    if cuts:
        answer = answer[: min(cuts)]
    if max_tokens is not None and count_tokens(answer) > max_tokens:
        pieces = _PIECE.findall(answer)[:max_tokens]
        answer, finish = "".join(pieces), "MAX_TOKENS"
    return answer, finish


def reply_to(
    request: dict[str, Any],
    model: EmulatedModel,
    request_id: str,
    redirect_base: str = "https://vertexaisearch.cloud.google.com",
) -> Reply:
    contents = request.get("contents", [])
    system = " ".join(_texts(request.get("systemInstruction", {})))
    last_turn = _last_user_turn(contents)
    user_text = " ".join(_texts(last_turn))
    config = request.get("generationConfig", {})
    calls = function_call_parts(
        functions_to_call(request, user_text),
        with_ids=model.family == "claude",
        model_id=model.id,
        request_id=request_id,
    )
    made: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    if calls:
        answer, finish = "", "OTHER" if model.family == "claude" else "STOP"
    elif model.image_output and "IMAGE" in [m.upper() for m in config.get("responseModalities", [])]:
        answer, finish, made = _draw(user_text, last_turn, config)
    elif uses(request, "googleSearch") or uses(request, "urlContext"):
        if uses(request, "googleSearch"):
            answer, grounding = search(user_text, redirect_base)
            extra = {"groundingMetadata": grounding} if grounding else {}
        else:
            answer, url_metadata = read_urls(user_text)
            extra = {"urlContextMetadata": url_metadata}
        finish = "STOP"
    else:
        media = inline_media(last_turn)
        images = describe_images(media)
        answer = (
            transcribe(media, config)
            or structured_answer(config)
            or function_results_text(last_turn)
            or (f"[system: {system}] " if system else "")
            + f"Echo: {user_text}"
            + (f" {images}" if images else "")
        )
        answer, finish = _truncate(
            answer,
            config.get("stopSequences", []),
            int(config["maxOutputTokens"]) if "maxOutputTokens" in config else None,
        )
    thinks = _thinks(request, model)
    thinking_config = config.get("thinkingConfig", {})
    prompt_words = sum(count_tokens(t) for c in contents for t in _texts(c)) + count_tokens(system)
    return Reply(
        model=model,
        answer=answer,
        thought=f"Thinking about: {user_text}" if thinks else None,
        show_thought=thinks and bool(thinking_config.get("includeThoughts")),
        finish_reason=finish,
        prompt_tokens=prompt_words,
        response_id=response_id(model, request_id),
        calls=calls,
        images=made,
        candidate_extra=extra,
    )


def _draw(prompt: str, turn: dict[str, Any], config: dict[str, Any]) -> tuple[str, str, list[dict[str, Any]]]:
    """An image model's answer: a sentence and a PNG, or a refusal (see :mod:`.images`)."""
    reason = refusal(prompt)
    if reason is not None:
        return REFUSAL_TEXT[reason], reason, []
    image_config = config.get("imageConfig", {})
    width, height = pixel_size(image_config.get("aspectRatio"), image_config.get("imageSize"))
    references = sum(1 for mime, _ in inline_media(turn) if mime.startswith("image/"))
    text = f"Here is your image: {prompt}" + (
        f" (edited from {references} reference image(s))" if references else ""
    )
    data = base64.b64encode(png(width, height, prompt, noisy="noisy:" in prompt)).decode()
    return text, "STOP", [{"inlineData": {"mimeType": "image/png", "data": data}}]


def _response(reply: Reply, parts: list[dict[str, Any]], *, last: bool) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}}
    body: dict[str, Any] = {"candidates": [candidate]}
    if last:
        candidate["finishReason"] = reply.finish_reason
        candidate.update(reply.candidate_extra)
        body["usageMetadata"] = reply.usage
    body["modelVersion"] = reply.model.model_version
    body["responseId"] = reply.response_id
    return body


def _thought_parts(reply: Reply) -> list[dict[str, Any]]:
    return [{"thought": True, "text": reply.thought}] if reply.show_thought and reply.thought else []


def _answer_parts(reply: Reply) -> list[dict[str, Any]]:
    return [{"text": reply.answer}] if reply.answer or not reply.calls else []


def unary_body(reply: Reply, trace: str, signer: Signer | None = None) -> dict[str, Any]:
    parts = [*_thought_parts(reply), *_answer_parts(reply), *reply.calls, *reply.images]
    if signer is not None:
        parts = sign_parts(parts, reply.model, signer, streamed=False, thought=reply.thought is not None)
    return {"response": _response(reply, parts, last=True), "traceId": trace}


def stream_bodies(
    reply: Reply, trace: str, chunk_words: int, signer: Signer | None = None
) -> list[dict[str, Any]]:
    pieces = _PIECE.findall(reply.answer) or [""]
    pieces[-1] += reply.answer[len("".join(pieces)) :]  # trailing white space belongs to the last piece
    texts = ["".join(pieces[i : i + chunk_words]) for i in range(0, len(pieces), chunk_words)]
    thoughts, calls = _thought_parts(reply), list(reply.calls)
    tail: list[dict[str, Any]] = []
    if signer is not None:
        # Sign whole parts, then split: thoughts and calls travel whole; an answer's signature
        # comes as its own empty text part at the end.
        signed = sign_parts(
            [*thoughts, *_answer_parts(reply), *calls],
            reply.model,
            signer,
            streamed=True,
            thought=reply.thought is not None,
        )
        thoughts = [p for p in signed if p.get("thought")]
        calls = [p for p in signed if "functionCall" in p]
        tail = [p for p in signed if p.get("text") == "" and "thoughtSignature" in p]
    groups: list[list[dict[str, Any]]] = []
    if thoughts:
        groups.append(thoughts)
    if _answer_parts(reply):
        groups.extend([{"text": text}] for text in texts)
    if calls:
        groups.append(calls)
    if reply.images:
        groups.append(list(reply.images))
    if tail:
        groups.append(tail)
    return [
        {"response": _response(reply, parts, last=i == len(groups) - 1), "traceId": trace}
        for i, parts in enumerate(groups)
    ]
