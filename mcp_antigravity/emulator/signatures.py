"""Thought signatures, as the upstream issues and checks them (reference section 11).

**Issued** by Gemini 3 models and Claude thinking models: on every thought part, on the first
``functionCall`` part of each model turn, and (Gemini 3) on the answer's last text part; in a
stream, that last signature comes as an extra part with empty text, as the real service does.
A signature is opaque to clients: base64url of the model id and an HMAC over the model id and
the part's content, keyed per emulator (``EmulatorConfig.signing_key``).

**Checked** on every request, for every model turn in ``contents``:

* a signature that is not the sentinel ``skip_thought_signature_validator`` must verify for
  the part that carries it: an altered part or signature, or one made by another model, is a
  400;
* Gemini 3: the first ``functionCall`` of a model turn must carry a signature (or the
  sentinel): "Function call ... is missing a thought_signature";
* Claude thinking models: thought parts must carry their signature (or be left out).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any, Literal

from .catalog import EmulatedModel
from .rpc import RpcError, bad_request

SENTINEL = "skip_thought_signature_validator"
Verdict = Literal["ok", "altered", "foreign"]


def signs(model: EmulatedModel) -> bool:
    return (model.gemini3 and not model.image_output) or (
        model.family == "claude" and model.thinking == "budget"
    )


def _content(part: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in part.items() if k != "thoughtSignature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class Signer:
    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def _mac(self, model_id: str, part: dict[str, Any]) -> str:
        return hmac.new(self._key, model_id.encode() + b"\0" + _content(part), hashlib.sha256).hexdigest()

    def sign(self, model_id: str, part: dict[str, Any]) -> str:
        token = json.dumps({"m": model_id, "h": self._mac(model_id, part)}, separators=(",", ":"))
        return base64.urlsafe_b64encode(token.encode()).decode()

    def verify(self, model_id: str, part: dict[str, Any], signature: str) -> Verdict:
        try:
            token = json.loads(base64.urlsafe_b64decode(signature.encode()))
            signer, mac = str(token["m"]), str(token["h"])
        except (binascii.Error, ValueError, KeyError, TypeError):
            return "altered"
        if signer != model_id:
            return "foreign"
        return "ok" if hmac.compare_digest(mac, self._mac(model_id, part)) else "altered"


def sign_parts(
    parts: list[dict[str, Any]], model: EmulatedModel, signer: Signer, *, streamed: bool, thought: bool = True
) -> list[dict[str, Any]]:
    """The reply's parts with the signatures the upstream would put on them (Claude signs only a
    turn it thought about)."""
    if not signs(model) or (model.family == "claude" and not thought):
        return parts
    signed = [dict(p) for p in parts]
    first_call = next((i for i, p in enumerate(signed) if "functionCall" in p), None)
    for i, part in enumerate(signed):
        if part.get("thought") or i == first_call:
            part["thoughtSignature"] = signer.sign(model.id, part)
    if model.family == "gemini" and first_call is None:
        texts = [i for i, p in enumerate(signed) if "text" in p and not p.get("thought")]
        if texts and streamed:
            tail: dict[str, Any] = {"text": ""}
            tail["thoughtSignature"] = signer.sign(model.id, tail)
            signed.append(tail)
        elif texts:
            signed[texts[-1]]["thoughtSignature"] = signer.sign(model.id, signed[texts[-1]])
    return signed


def _invalid(model: EmulatedModel, turn: int, verdict: Verdict) -> RpcError:
    if model.family == "claude":
        message = f"messages.{turn}.content: Invalid `signature` in `thinking` block"
    elif verdict == "foreign":
        message = f"Thought signature in content {turn} was not produced by model {model.id}."
    else:
        message = f"Corrupted thought signature in content {turn}."
    return bad_request(message, field=f"contents[{turn}]")


def check_history(request: dict[str, Any], model: EmulatedModel, signer: Signer) -> None:
    """Reject the history the way the upstream would (see the module documentation)."""
    for turn, content in enumerate(request.get("contents", [])):
        if content.get("role") != "model":
            continue
        parts = content.get("parts", [])
        for part in parts:
            signature = part.get("thoughtSignature")
            if signature is None or signature == SENTINEL:
                continue
            verdict = signer.verify(model.id, part, signature)
            if verdict != "ok":
                raise _invalid(model, turn, verdict)
        if model.gemini3:
            first_call = next((p for p in parts if "functionCall" in p), None)
            if first_call is not None and "thoughtSignature" not in first_call:
                name = first_call["functionCall"].get("name")
                raise bad_request(
                    f"Function call `{name}` in the {turn + 1}. content block is missing a `thought_signature`. "
                    "Learn more: https://ai.google.dev/gemini-api/docs/thought-signatures",
                    field=f"contents[{turn}]",
                )
        if model.family == "claude" and model.thinking == "budget":
            for part in parts:
                if part.get("thought") and "thoughtSignature" not in part:
                    raise bad_request(
                        f"messages.{turn}.content: `thinking` blocks must carry their `signature`; send them back "
                        "unchanged or leave them out",
                        field=f"contents[{turn}]",
                    )
