"""Every rule a generation request must pass, in the order the upstream checks them.

1. The body is JSON and every message has only known fields of the right JSON types
   (``messages``, ``max_tokens``, ``anthropic_version``, ``system_instruction`` at the
   envelope root are unknown names; a string ``systemInstruction`` is an invalid value).
2. ``project``, ``model`` and ``request`` are present; the model exists (else 404).
3. The project is one this account may use (else 403).
4. The semantic rules below (:data:`RULES`), each a 400 with the upstream's wording.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .catalog import MODELS, RETIRED, EmulatedModel
from .proto import (
    BOOL,
    BYTES,
    FLOAT,
    INT32,
    STRING,
    STRUCT,
    VALUE,
    Custom,
    Enum,
    Message,
    Repeated,
)
from .rpc import NOT_FOUND, RpcError, bad_request, error_info
from .schema_rules import check_schema

FUNCTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:\-]{0,63}")
ASPECT_RATIOS = frozenset({"1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"})
IMAGE_SIZES = frozenset({"1K", "2K", "4K"})
_DATA_FIELDS = (
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
)

_SCHEMA = Custom(lambda value, path: check_schema(value, path))

BLOB = Message("Blob", {"mimeType": STRING, "data": BYTES})
PART = Message(
    "Part",
    {
        "text": STRING,
        "thought": BOOL,
        "thoughtSignature": BYTES,
        "inlineData": BLOB,
        "fileData": Message("FileData", {"mimeType": STRING, "fileUri": STRING}),
        "functionCall": Message("FunctionCall", {"id": STRING, "name": STRING, "args": STRUCT}),
        "functionResponse": Message("FunctionResponse", {"id": STRING, "name": STRING, "response": STRUCT}),
        "executableCode": Message("ExecutableCode", {"language": STRING, "code": STRING}),
        "codeExecutionResult": Message("CodeExecutionResult", {"outcome": STRING, "output": STRING}),
        "videoMetadata": Message("VideoMetadata", {"startOffset": STRING, "endOffset": STRING, "fps": FLOAT}),
    },
)
CONTENT = Message("Content", {"role": STRING, "parts": Repeated(PART)})
THINKING_CONFIG = Message(
    "ThinkingConfig",
    {
        "includeThoughts": BOOL,
        "thinkingBudget": INT32,
        "thinkingLevel": Enum(
            "ThinkingConfig.ThinkingLevel", frozenset({"MINIMAL", "LOW", "MEDIUM", "HIGH"})
        ),
    },
)
GENERATION_CONFIG = Message(
    "GenerationConfig",
    {
        "stopSequences": Repeated(STRING),
        "responseMimeType": STRING,
        "responseSchema": _SCHEMA,
        "responseJsonSchema": VALUE,
        "responseModalities": Repeated(
            Enum("GenerationConfig.Modality", frozenset({"TEXT", "IMAGE", "AUDIO"}))
        ),
        "candidateCount": INT32,
        "maxOutputTokens": INT32,
        "temperature": FLOAT,
        "topP": FLOAT,
        "topK": INT32,
        "seed": INT32,
        "presencePenalty": FLOAT,
        "frequencyPenalty": FLOAT,
        "responseLogprobs": BOOL,
        "logprobs": INT32,
        "thinkingConfig": THINKING_CONFIG,
        "imageConfig": Message("ImageConfig", {"aspectRatio": STRING, "imageSize": STRING}),
        "mediaResolution": Enum(
            "GenerationConfig.MediaResolution",
            frozenset(
                {
                    "MEDIA_RESOLUTION_UNSPECIFIED",
                    "MEDIA_RESOLUTION_LOW",
                    "MEDIA_RESOLUTION_MEDIUM",
                    "MEDIA_RESOLUTION_HIGH",
                }
            ),
        ),
    },
)
FUNCTION_DECLARATION = Message(
    "FunctionDeclaration",
    {
        "name": STRING,
        "description": STRING,
        "parameters": _SCHEMA,
        "parametersJsonSchema": VALUE,
        "response": _SCHEMA,
    },
)
GOOGLE_SEARCH = Message(
    "GoogleSearch",
    {
        "timeRangeFilter": STRUCT,
        "includedDomains": Repeated(STRING),
        "enhancedContent": Message(
            "EnhancedContent", {"imageSearch": Message("ImageSearch", {"maxResultCount": INT32})}
        ),
    },
)
TOOL = Message(
    "Tool",
    {
        "functionDeclarations": Repeated(FUNCTION_DECLARATION),
        "googleSearch": GOOGLE_SEARCH,
        "urlContext": Message("UrlContext"),
        "codeExecution": Message("CodeExecution"),
    },
)
TOOL_CONFIG = Message(
    "ToolConfig",
    {
        "functionCallingConfig": Message(
            "FunctionCallingConfig",
            {
                "mode": Enum(
                    "FunctionCallingConfig.Mode",
                    frozenset({"MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"}),
                ),
                "allowedFunctionNames": Repeated(STRING),
            },
        ),
        "includeServerSideToolInvocations": BOOL,
    },
)
REQUEST = Message(
    "GenerateContentRequest",
    {
        "contents": Repeated(CONTENT),
        "systemInstruction": CONTENT,
        "generationConfig": GENERATION_CONFIG,
        "tools": Repeated(TOOL),
        "toolConfig": TOOL_CONFIG,
        "safetySettings": Repeated(Message("SafetySetting", {"category": STRING, "threshold": STRING})),
        "sessionId": STRING,
        "cachedContent": STRING,
        "labels": STRUCT,
    },
)
ENVELOPE = Message(
    "GenerateContentEnvelope",
    {
        "project": STRING,
        "model": STRING,
        "request": REQUEST,
        "userAgent": STRING,
        "requestType": STRING,
        "requestId": STRING,
        "enabledCreditTypes": Repeated(STRING),
    },
)


@dataclass(frozen=True)
class CheckedRequest:
    project: str
    model: EmulatedModel
    """The model that answers (for a retired id: its successor, whose rules apply)."""
    request: dict[str, Any]
    envelope: dict[str, Any]
    retired: str | None = None
    """The retired id asked for; the answer is then the upstream's notice."""


def _required(message: str, field: str) -> RpcError:
    return bad_request(message, field=field)


def check_envelope(body: Any, accepted_projects: frozenset[str]) -> CheckedRequest:
    """Read a generation request as the upstream does, or raise the error it would send."""
    if not isinstance(body, dict):
        raise bad_request("Invalid JSON payload received. Expected an object at the top level.")
    envelope = ENVELOPE.read(body, "")
    project = envelope.get("project")
    if not project:
        raise _required(
            "Request is missing required field 'project'. Set it to the Google Cloud project id.", "project"
        )
    model_id = envelope.get("model")
    if not model_id:
        raise _required("Request is missing required field 'model'.", "model")
    request = envelope.get("request")
    if request is None:
        raise _required("Request is missing required field 'request'.", "request")
    if project not in accepted_projects:
        raise RpcError(
            403,
            f"Permission 'cloudaicompanion.companions.generateChat' denied on resource "
            f"'//cloudaicompanion.googleapis.com/projects/{project}/locations/global' (or it may not exist).",
            details=[
                error_info(
                    "IAM_PERMISSION_DENIED",
                    domain="cloudaicompanion.googleapis.com",
                    permission="cloudaicompanion.companions.generateChat",
                )
            ],
        )
    retired = RETIRED.get(model_id)
    model = MODELS.get(retired.successor if retired else model_id)
    if model is None:
        raise RpcError(404, NOT_FOUND)
    for rule in RULES:
        rule(request, model)
    return CheckedRequest(
        project=project,
        model=model,
        request=request,
        envelope=envelope,
        retired=model_id if retired else None,
    )


# --------------------------------------------------------------------------- semantic rules

Rule = Callable[[dict[str, Any], EmulatedModel], None]


def _invalid(path: str, message: str) -> RpcError:
    return bad_request(f"* GenerateContentRequest.{path}: {message}", field=path)


def rule_contents_present(request: dict[str, Any], model: EmulatedModel) -> None:
    """``contents`` must hold at least one turn."""
    if not request.get("contents"):
        raise _invalid("contents", "contents is not specified")


def rule_roles(request: dict[str, Any], model: EmulatedModel) -> None:
    """Roles are ``user`` and ``model`` only (``assistant``, ``system`` are invalid)."""
    for content in request.get("contents", []):
        role = content.get("role")
        if role is not None and role not in ("user", "model"):
            raise bad_request("Please use a valid role: user, model.", field="contents.role")


def rule_parts(request: dict[str, Any], model: EmulatedModel) -> None:
    """Every turn has parts, and every part carries exactly one kind of data."""
    turns = [(f"contents[{i}]", c) for i, c in enumerate(request.get("contents", []))]
    if "systemInstruction" in request:
        turns.append(("system_instruction", request["systemInstruction"]))
    for path, content in turns:
        parts = content.get("parts") or []
        if not parts:
            raise _invalid(f"{path}.parts", "contents.parts must not be empty.")
        for j, part in enumerate(parts):
            present = [name for name in _DATA_FIELDS if name in part]
            if not present:
                raise _invalid(
                    f"{path}.parts[{j}].data", "required oneof field 'data' must have one initialized field"
                )
            if len(present) > 1:
                raise bad_request(
                    f"Invalid JSON payload received. Oneof field 'data' is already set. Cannot set '{present[1]}'",
                    field=f"{path}.parts[{j}]",
                )
            blob = part.get("inlineData")
            if blob is not None and not (blob.get("mimeType") and blob.get("data")):
                raise _invalid(f"{path}.parts[{j}].inline_data", "mime_type and data are required")


def rule_thinking(request: dict[str, Any], model: EmulatedModel) -> None:
    """Thinking settings: budget xor level, output above the budget, per-model levels."""
    config = request.get("generationConfig", {})
    thinking = config.get("thinkingConfig")
    if thinking is None:
        return
    budget, level = thinking.get("thinkingBudget"), thinking.get("thinkingLevel")
    path = "generation_config.thinking_config"
    if budget is not None and level is not None:
        raise _invalid(path, "You can only set either thinking_budget or thinking_level, not both.")
    if level is not None:
        if model.thinking != "level":
            raise _invalid(f"{path}.thinking_level", f"Thinking level is not supported for model {model.id}.")
        if level.lower() not in model.levels:
            raise _invalid(
                f"{path}.thinking_level",
                f"Thinking level {level.lower()} is not supported for model {model.id}; "
                f"supported: {', '.join(model.levels)}.",
            )
    if budget is not None:
        budget = int(budget)
        if budget == 0 and not model.can_disable_thinking:
            raise _invalid(
                f"{path}.thinking_budget", "Budget 0 is invalid. This model only works in thinking mode."
            )
        max_tokens = config.get("maxOutputTokens")
        if budget > 0 and max_tokens is not None and int(max_tokens) <= budget:
            raise _invalid(
                "generation_config.max_output_tokens",
                f"max_output_tokens ({int(max_tokens)}) must be greater than thinking_budget ({budget}).",
            )


def rule_sampling(request: dict[str, Any], model: EmulatedModel) -> None:
    """``temperature`` lies in [0, 2]; ``maxOutputTokens`` is positive."""
    config = request.get("generationConfig", {})
    temperature = config.get("temperature")
    if temperature is not None and not 0 <= float(temperature) <= 2:
        raise _invalid("generation_config.temperature", "temperature must be between 0.0 and 2.0")
    max_tokens = config.get("maxOutputTokens")
    if max_tokens is not None and int(max_tokens) < 1:
        raise _invalid("generation_config.max_output_tokens", "max_output_tokens must be positive")


def rule_output_format(request: dict[str, Any], model: EmulatedModel) -> None:
    """A response schema needs JSON output; image output needs an image model and known sizes."""
    config = request.get("generationConfig", {})
    if "responseSchema" in config and config.get("responseMimeType") not in (
        "application/json",
        "text/x.enum",
    ):
        raise _invalid(
            "generation_config.response_mime_type",
            "response_mime_type must be application/json when response_schema is set.",
        )
    modalities = [m.upper() for m in config.get("responseModalities", [])]
    if "IMAGE" in modalities and not model.image_output:
        raise bad_request(
            "The requested combination of response modalities is not supported by the model.",
            field="generation_config.response_modalities",
        )
    image = config.get("imageConfig", {})
    if "aspectRatio" in image and image["aspectRatio"] not in ASPECT_RATIOS:
        raise _invalid(
            "generation_config.image_config.aspect_ratio",
            f"Unsupported aspect ratio {image['aspectRatio']}; use one of {', '.join(sorted(ASPECT_RATIOS))}.",
        )
    if "imageSize" in image and image["imageSize"] not in IMAGE_SIZES:
        raise _invalid(
            "generation_config.image_config.image_size",
            f"Unsupported image size {image['imageSize']}; use 1K, 2K or 4K.",
        )


def rule_functions(request: dict[str, Any], model: EmulatedModel) -> None:
    """Function names follow the upstream's pattern, once each; search and functions never mix."""
    declared: set[str] = set()
    builtin: list[str] = []
    for i, tool in enumerate(request.get("tools", [])):
        builtin.extend(name for name in ("googleSearch", "urlContext", "codeExecution") if name in tool)
        for j, declaration in enumerate(tool.get("functionDeclarations", [])):
            path = f"tools[{i}].function_declarations[{j}].name"
            name = declaration.get("name", "")
            if not FUNCTION_NAME.fullmatch(name):
                raise _invalid(
                    path,
                    "Invalid function name. Must start with a letter or an underscore. Must be alphameric "
                    "(a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), with a maximum "
                    "length of 64.",
                )
            if name in declared:
                raise _invalid(path, f"Duplicate function declaration found: {name}")
            declared.add(name)
    if declared and "googleSearch" in builtin:
        raise bad_request("Tool use with function calling is unsupported", field="tools")
    calling = request.get("toolConfig", {}).get("functionCallingConfig", {})
    allowed = calling.get("allowedFunctionNames")
    if allowed:
        if str(calling.get("mode", "")).upper() != "ANY":
            raise _invalid(
                "tool_config.function_calling_config.allowed_function_names",
                "allowed_function_names may only be set when mode is ANY.",
            )
        for k, name in enumerate(allowed):
            if name not in declared:
                raise _invalid(
                    f"tool_config.function_calling_config.allowed_function_names[{k}]",
                    f"Function {name} is not declared in tools.",
                )


def _parts_with(content: dict[str, Any], field: str) -> list[dict[str, Any]]:
    return [part[field] for part in content.get("parts", []) if field in part]


def rule_function_turns(request: dict[str, Any], model: EmulatedModel) -> None:
    """A function-call turn follows a user turn, and the next turn answers every call by name."""
    contents = request.get("contents", [])
    for i, content in enumerate(contents):
        calls = _parts_with(content, "functionCall")
        responses = _parts_with(content, "functionResponse")
        if calls and (i == 0 or contents[i - 1].get("role", "user") != "user"):
            raise bad_request(
                "Please ensure that function call turn comes immediately after a user turn or after a function "
                "response turn.",
                field=f"contents[{i}]",
            )
        previous_calls = _parts_with(contents[i - 1], "functionCall") if i else []
        if responses and not previous_calls:
            raise bad_request(
                "Please ensure that function response turn comes immediately after a function call turn.",
                field=f"contents[{i}]",
            )
        if previous_calls and (
            len(responses) != len(previous_calls)
            or sorted(str(r.get("name")) for r in responses)
            != sorted(str(c.get("name")) for c in previous_calls)
        ):
            raise bad_request(
                "Please ensure that the number of function response parts is equal to the number of function "
                "call parts of the function call turn.",
                field=f"contents[{i}]",
            )


def rule_claude_tools(request: dict[str, Any], model: EmulatedModel) -> None:
    """Claude needs an input schema for every function: none (or only ``parametersJsonSchema``, which
    it ignores) is ``tools.N.custom.input_schema: Field required``, N counting every declaration."""
    if model.family != "claude":
        return
    declarations = [d for tool in request.get("tools", []) for d in tool.get("functionDeclarations", [])]
    for index, declaration in enumerate(declarations):
        if "parameters" not in declaration:
            raise bad_request(f"tools.{index}.custom.input_schema: Field required")


def rule_claude_thinking_tool_loop(request: dict[str, Any], model: EmulatedModel) -> None:
    """With thinking on, the model turn whose calls the latest function responses answer must begin
    with its thinking block, as Anthropic's API demands: a leading thought part, or the signature
    the upstream put on the call for a thinking block it did not show (whether a signature holds is
    checked with the rest of the history)."""
    if model.family != "claude" or model.thinking == "none":
        return
    thinking = request.get("generationConfig", {}).get("thinkingConfig", {})
    if int(thinking.get("thinkingBudget", 0) or 0) <= 0 and model.can_disable_thinking:
        return
    contents = request.get("contents", [])
    if not contents or not _parts_with(contents[-1], "functionResponse"):
        return  # no open tool loop
    for index in range(len(contents) - 2, -1, -1):
        turn = contents[index]
        if turn.get("role") == "model" and _parts_with(turn, "functionCall"):
            first = (turn.get("parts") or [{}])[0]
            if not first.get("thought") and not any(
                "thoughtSignature" in part for part in turn.get("parts", [])
            ):
                found = "tool_use" if "functionCall" in first else "text"
                raise bad_request(
                    f"messages.{index}.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
                    f"`{found}`. When `thinking` is enabled, a final `assistant` message must start with a "
                    "thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We "
                    "recommend you include thinking blocks from previous turns. To avoid this requirement, "
                    "disable `thinking`. Please consult our documentation at "
                    "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
                )
            return


RULES: tuple[Rule, ...] = (
    rule_contents_present,
    rule_roles,
    rule_parts,
    rule_thinking,
    rule_sampling,
    rule_output_format,
    rule_functions,
    rule_function_turns,
    rule_claude_tools,
    rule_claude_thinking_tool_loop,
)
