"""Resources: the sessions, generated images, models and quota, to list and to read. Sessions
and images are the caller's own (see :mod:`.httpauth`)."""

from __future__ import annotations

import json
import time

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError

from ..accounts import Account
from ..accounts.views import account_view, model_view
from ..antigravity.models import describe
from ..conversation.errors import UnknownSession
from ..media.saved import IMAGE_TYPES
from .callers import reader
from .runtime import Runtime

SESSIONS_URI = "antigravity://sessions"
MODELS_URI = "antigravity://models"
QUOTA_URI = "antigravity://quota"
IMAGES_URI = "antigravity://images"


def register_resources(server: MCPServer[Runtime], runtime: Runtime) -> None:
    @server.resource(
        MODELS_URI,
        name="models",
        title="Models",
        mime_type="application/json",
        description="The models the upstream offers this account: id, display name, output limit, remaining "
        "quota (0-1) and when it resets, and where retired ids lead.",
    )
    async def list_models() -> str:
        view = describe(await runtime.client.available_models())
        accounts = await _accounts_read(runtime, refresh=False)
        now = time.time()
        for model in view["models"]:
            model["accounts"] = {a.email: model_view(a, model["id"], now) for a in accounts}
        return json.dumps(view, indent=1)

    @server.resource(
        QUOTA_URI,
        name="quota",
        title="Quota per account",
        mime_type="application/json",
        description="Each account (by email) and its state; per model: remaining quota (0-1), when it resets, "
        "and any cooldown with its reason.",
    )
    async def quota() -> str:
        now = time.time()
        accounts = await _accounts_read(runtime, refresh=True)
        return json.dumps({"accounts": [account_view(a, now) for a in accounts]}, indent=1)

    @server.resource(
        IMAGES_URI,
        name="images",
        title="Generated images",
        mime_type="application/json",
        description="The images image_generate saved (too large to return inline), newest first: the URI to "
        "read each with, its type and size.",
    )
    async def list_images() -> str:
        saved = await runtime.services.saved_images.list(reader())
        return json.dumps(
            {
                "images": [
                    {"uri": image_uri(s.name), "name": s.name, "mime_type": s.mime_type, "bytes": s.size}
                    for s in saved
                ]
            }
        )

    for extension, mime_type in IMAGE_TYPES.items():  # one template per type, each with its MIME type
        _image_template(server, runtime, extension, mime_type)

    @server.resource(
        SESSIONS_URI,
        name="sessions",
        title="Chat sessions",
        mime_type="application/json",
        description="The chat sessions the server keeps, newest first: id, model, turns, waiting calls.",
    )
    async def list_sessions() -> str:
        summaries = [
            {
                "id": s.id,
                "created": s.created,
                "updated": s.updated,
                "model": s.model,
                "turns": s.turns,
                "waiting_for_function_results": s.waiting,
            }
            for s in await runtime.sessions.summaries(reader())
        ]
        return json.dumps({"sessions": summaries}, indent=1)

    @server.resource(
        SESSIONS_URI + "/{session_id}",
        name="session",
        title="One chat session",
        mime_type="application/json",
        description="A session's history (turns without thought signatures) and settings.",
    )
    async def read_session(session_id: str) -> str:
        try:
            session = await runtime.sessions.history(session_id, reader())
        except UnknownSession:
            raise ResourceError(f"Unknown session {session_id!r}") from None
        return json.dumps(
            {
                "id": session.id,
                "model": session.model,
                "system": session.system,
                "functions": [f.name for f in session.functions],
                "waiting_for_function_results": sorted(session.waiting),
                "turns": [{"role": t.role, "model": t.model, "parts": t.parts} for t in session.turns],
            },
            indent=1,
        )


async def _accounts_read(runtime: Runtime, *, refresh: bool) -> list[Account]:
    """Every account, with its quota as the upstream reports it now (``refresh``) or last did."""
    client = runtime.client
    accounts = client.accounts.accounts()
    for account in accounts:
        if account.state == "active":  # the others are not asked anything until the user acts
            await client.available_models(account=account.email, refresh=refresh)
    return client.accounts.accounts()


def image_uri(name: str) -> str:
    """The resource URI of a saved image."""
    return f"{IMAGES_URI}/{name}"


def _image_template(server: MCPServer[Runtime], runtime: Runtime, extension: str, mime_type: str) -> None:
    @server.resource(
        IMAGES_URI + "/{name}." + extension,
        name=f"image-{extension}",
        title=f"A generated {extension.upper()} image",
        mime_type=mime_type,
        description="One image image_generate saved, by the name its result gave.",
    )
    async def read_image(name: str) -> bytes:
        data = await runtime.services.saved_images.read(reader(), f"{name}.{extension}")
        if data is None:
            raise ResourceError(f"No generated image {name}.{extension} (see {IMAGES_URI})")
        return data
