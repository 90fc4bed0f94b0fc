"""The Antigravity client against the emulator over real loopback HTTP: shape, fallback, faults, discovery."""

from __future__ import annotations

import re
import uuid

import anyio
import httpx2
import pytest

from mcp_antigravity.antigravity import (
    AntigravityConnectionError,
    AntigravityTimeoutError,
    AuthenticationError,
    CredentialsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from mcp_antigravity.antigravity.wire import Content, GenerateContentRequest, GenerateContentResponse, Part
from mcp_antigravity.config import DEFAULT_PROJECT
from mcp_antigravity.emulator import Emulator, EmulatorConfig, parse_fault, running_emulator
from mcp_antigravity.emulator.runner import bind_socket

from ..conftest import PROJECT, TOKEN, RecordingSleep, generations, make_client, make_settings

pytestmark = pytest.mark.anyio

Running = tuple[Emulator, str]
MODEL = "claude-sonnet-4-6"


def ask(text: str = "hello there") -> GenerateContentRequest:
    return GenerateContentRequest(contents=[Content(role="user", parts=[Part(text=text)])])


def closed_port_url() -> str:
    """A loopback URL nothing listens on (bound, then closed)."""
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


# ----------------------------------------------------------------------------- request shape


async def test_unary_request_follows_the_reference(emulator: Running, http: httpx2.AsyncClient) -> None:
    instance, url = emulator
    client = make_client(http, make_settings(url))
    response, trace = await client.generate(MODEL, ask("hello there"))

    assert response.candidates[0].content is not None
    assert response.candidates[0].content.parts[0].text == "Echo: hello there"
    assert response.candidates[0].finish_reason == "STOP"
    assert (
        response.model_version == MODEL
        and response.response_id
        and response.response_id.startswith("msg_vrtx_")
    )
    assert trace and re.fullmatch(r"[0-9a-f]{16}", trace)

    [record] = instance.requests
    assert record["method"] == "generateContent" and record["query"] == {} and record["auth"] == "valid"
    headers = record["headers"]
    assert headers["content-type"] == "application/json"
    assert re.fullmatch(r"antigravity/hub/2\.9\.1 [a-z]+/[a-z0-9_]+", headers["user-agent"])
    # only these (the recorded headers leave Authorization out): no Client-Metadata, no X-Goog-Api-Client
    sent = set(headers) - {"host", "accept-encoding", "connection", "content-length"}
    assert sent == {"content-type", "user-agent", "accept"}, sent
    body = record["body"]
    assert set(body) == {"project", "model", "request", "userAgent", "requestType", "requestId"}
    assert (body["project"], body["model"], body["userAgent"], body["requestType"]) == (
        PROJECT,
        MODEL,
        "antigravity",
        "agent",
    )
    assert body["requestId"].startswith("agent-") and uuid.UUID(body["requestId"][6:])
    assert body["request"] == {
        "contents": [{"role": "user", "parts": [{"text": "hello there"}]}],
        "sessionId": body["request"]["sessionId"],
    }
    assert re.fullmatch(r"-\d+", body["request"]["sessionId"])  # every agent request carries one


async def test_configured_client_version_is_sent(emulator: Running, http: httpx2.AsyncClient) -> None:
    instance, url = emulator
    await make_client(http, make_settings(url, client_version="2.10.3")).generate(MODEL, ask())
    assert instance.requests[0]["headers"]["user-agent"].startswith("antigravity/hub/2.10.3 ")


async def test_stream_delivers_chunks_then_the_merged_response(
    emulator: Running, http: httpx2.AsyncClient
) -> None:
    instance, url = emulator
    seen: list[GenerateContentResponse] = []

    async def on_chunk(chunk: GenerateContentResponse) -> None:
        seen.append(chunk)

    client = make_client(http, make_settings(url))
    words = "one two three four five six seven eight nine ten"
    response, trace = await client.stream("gpt-oss-120b-medium", ask(words), on_chunk=on_chunk)

    assert len(seen) == 3  # "Echo:" + 10 words in pieces of 4 words
    assert all(chunk.usage_metadata is None for chunk in seen[:-1]) and seen[-1].usage_metadata is not None
    assert response.candidates[0].content is not None
    assert [p.text for p in response.candidates[0].content.parts] == [f"Echo: {words}"]
    assert response.usage_metadata is not None and response.usage_metadata.candidates_token_count == 11
    assert trace
    [record] = instance.requests
    assert record["method"] == "streamGenerateContent" and record["query"] == {"alt": "sse"}
    assert record["headers"]["accept"] == "text/event-stream"


# ----------------------------------------------------------------------------- endpoint fallback


async def test_network_error_falls_over_to_the_next_endpoint(
    emulator: Running, http: httpx2.AsyncClient
) -> None:
    instance, url = emulator
    sleep = RecordingSleep()
    client = make_client(http, make_settings(closed_port_url(), url), sleep)
    response, _ = await client.generate(MODEL, ask())
    assert response.candidates and sleep.delays == []  # fallback is immediate
    assert len(instance.requests) == 1


@pytest.mark.parametrize("fault", ["unavailable", "internal"])
async def test_5xx_falls_over_to_the_next_endpoint(http: httpx2.AsyncClient, fault: str) -> None:
    first_config = EmulatorConfig(token=TOKEN, project=PROJECT, faults=[parse_fault(fault)])
    async with (
        running_emulator(first_config) as (first, first_url),
        running_emulator(EmulatorConfig(token=TOKEN, project=PROJECT)) as (second, second_url),
    ):
        response, _ = await make_client(http, make_settings(first_url, second_url)).generate(MODEL, ask())
    assert response.candidates
    assert [r["status"] for r in first.requests] == [500 if fault == "internal" else 503]
    assert [r["status"] for r in second.requests] == [200]


async def test_404_falls_over_to_the_next_endpoint(emulator: Running, http: httpx2.AsyncClient) -> None:
    instance, url = emulator
    missing = f"{url}/no-such-prefix"
    assert (await http.post(f"{missing}/v1internal:generateContent", json={})).status_code == 404
    client = make_client(http, make_settings(missing, url))
    response, _ = await client.generate(MODEL, ask())
    assert response.candidates and len(instance.requests) == 1


async def test_unknown_model_is_not_found_everywhere(emulator: Running, http: httpx2.AsyncClient) -> None:
    _, url = emulator
    sleep = RecordingSleep()
    with pytest.raises(NotFoundError):
        await make_client(http, make_settings(url, url), sleep).generate("gpt-7", ask())
    assert sleep.delays == []


async def on_two_hosts(
    http: httpx2.AsyncClient, first_faults: str, second_faults: str, sleep: RecordingSleep
) -> tuple[Emulator, Emulator]:
    """One generate call against two base URLs, each an emulator with its own faults."""
    configs = [
        EmulatorConfig(token=TOKEN, project=PROJECT, faults=[parse_fault(f) for f in faults.split(";") if f])
        for faults in (first_faults, second_faults)
    ]
    async with running_emulator(configs[0]) as (first, a), running_emulator(configs[1]) as (second, b):
        response, _ = await make_client(http, make_settings(a, b), sleep).generate(MODEL, ask())
    assert response.candidates
    return first, second


async def test_a_429_moves_to_the_next_host_once_before_any_wait(http: httpx2.AsyncClient) -> None:
    """Limits differ per host: prod 429s where daily serves (reference §0.2)."""
    sleep = RecordingSleep()
    first, second = await on_two_hosts(http, "rate_limit:retry_delay=2.5s", "", sleep)
    assert sleep.delays == []  # served by the other host at once
    assert [r["status"] for r in first.requests] == [429]
    assert [r["status"] for r in second.requests] == [200]


async def test_a_429_on_both_hosts_waits_the_servers_delay_once_moved(http: httpx2.AsyncClient) -> None:
    sleep = RecordingSleep()
    limited = "rate_limit:retry_delay=2.5s"
    first, second = await on_two_hosts(http, limited, limited, sleep)
    assert sleep.delays == [2.5]  # the server's delay, honoured, on the host it moved to
    assert [r["status"] for r in first.requests] == [429]
    assert [r["status"] for r in second.requests] == [429, 200]


async def test_quota_exhaustion_never_changes_host(http: httpx2.AsyncClient) -> None:
    exhausted = EmulatorConfig(
        token=TOKEN,
        project=PROJECT,
        faults=[parse_fault("rate_limit:reason=QUOTA_EXHAUSTED,reset=71h15m27s,times=0")],
    )
    async with (
        running_emulator(exhausted) as (first, first_url),
        running_emulator(EmulatorConfig(token=TOKEN, project=PROJECT)) as (second, second_url),
    ):
        with pytest.raises(RateLimitError) as caught:
            await make_client(http, make_settings(first_url, second_url)).generate(MODEL, ask())
    assert caught.value.quota_exhausted and caught.value.quota_reset_after == pytest.approx(256527)
    assert "Individual quota reached" in caught.value.message
    assert len(first.requests) == 1 and len(second.requests) == 0


async def test_capacity_moves_on_then_backs_off(http: httpx2.AsyncClient) -> None:
    sleep = RecordingSleep()
    first, second = await on_two_hosts(http, "capacity", "capacity", sleep)
    assert [r["status"] for r in first.requests] == [503, 200]
    assert [r["status"] for r in second.requests] == [503]
    assert len(sleep.delays) == 1  # after both hosts had no capacity: a backoff, then from the first


# ----------------------------------------------------------------------------- rate limits and retries


async def test_429_over_the_cap_fails_fast_with_the_delay(
    emulator: Running, http: httpx2.AsyncClient
) -> None:
    instance, url = emulator
    instance.faults.add(parse_fault("rate_limit:retry_delay=100s,times=0"))
    sleep = RecordingSleep()
    with pytest.raises(RateLimitError) as caught:
        await make_client(http, make_settings(url), sleep).generate(MODEL, ask())
    assert caught.value.retry_after == 100.0 and caught.value.model == MODEL
    assert sleep.delays == [] and len(instance.requests) == 1


async def test_quota_exhausted_fails_fast(emulator: Running, http: httpx2.AsyncClient) -> None:
    instance, url = emulator
    instance.faults.add(
        parse_fault("rate_limit:reason=QUOTA_EXHAUSTED,retry_delay=3.957525076s,reset=135h9m46s")
    )
    with pytest.raises(RateLimitError) as caught:
        await make_client(http, make_settings(url)).generate(MODEL, ask())
    error = caught.value
    assert error.quota_exhausted and error.quota_reset_after == 135 * 3600 + 9 * 60 + 46
    assert error.retry_after == pytest.approx(3.957525076)
    assert len(instance.requests) == 1


async def test_bare_429_is_retried_with_backoff(emulator: Running, http: httpx2.AsyncClient) -> None:
    instance, url = emulator
    instance.faults.add(parse_fault("rate_limit:bare=true,times=2"))
    sleep = RecordingSleep()
    response, _ = await make_client(http, make_settings(url), sleep).generate(MODEL, ask())
    assert response.candidates
    assert sleep.delays == [pytest.approx(0.0075), pytest.approx(0.015)]  # 0.01·2^n, jitter at 0.5
    assert [r["status"] for r in instance.requests] == [429, 429, 200]


async def test_fault_after_n_requests(emulator: Running, http: httpx2.AsyncClient) -> None:
    instance, url = emulator
    instance.faults.add(parse_fault("rate_limit:after=2,retry_delay=1s,times=1"))
    client = make_client(http, make_settings(url))
    for _ in range(3):
        await client.generate(MODEL, ask())
    assert [r["status"] for r in instance.requests] == [200, 200, 429, 200]


async def test_persistent_5xx_gives_up_after_max_retries(emulator: Running, http: httpx2.AsyncClient) -> None:
    instance, url = emulator
    instance.faults.add(parse_fault("unavailable:times=0,wrap=true"))
    sleep = RecordingSleep()
    with pytest.raises(ServerError) as caught:
        await make_client(http, make_settings(url, max_retries=2), sleep).generate(MODEL, ask())
    assert (
        caught.value.status == 503 and caught.value.status_name == "UNAVAILABLE"
    )  # read from a wrapped body
    assert len(sleep.delays) == 2 and len(instance.requests) == 3


@pytest.mark.parametrize(
    ("fault", "error", "reason"),
    [
        ("expired_token", AuthenticationError, "ACCESS_TOKEN_EXPIRED"),
        ("validation_required", PermissionDeniedError, "VALIDATION_REQUIRED"),
    ],
)
async def test_auth_faults_are_not_retried(
    emulator: Running, http: httpx2.AsyncClient, fault: str, error: type, reason: str
) -> None:
    instance, url = emulator
    instance.faults.add(parse_fault(f"{fault}:times=0"))
    with pytest.raises(error) as caught:
        await make_client(http, make_settings(url, url)).generate(MODEL, ask())
    assert caught.value.reason == reason and len(instance.requests) == 1


async def test_no_credentials_fails_before_any_request(emulator: Running, http: httpx2.AsyncClient) -> None:
    instance, url = emulator
    with pytest.raises(CredentialsError, match="ANTIGRAVITY_ACCESS_TOKEN"):
        await make_client(http, make_settings(url, access_token=None)).generate(MODEL, ask())
    assert len(instance.requests) == 0


# ----------------------------------------------------------------------------- time


async def test_slow_first_byte_hits_the_deadline(emulator: Running, http: httpx2.AsyncClient) -> None:
    instance, url = emulator
    instance.faults.add(parse_fault("slow:delay=30,times=0"))
    with anyio.fail_after(10), pytest.raises(AntigravityTimeoutError, match="ANTIGRAVITY_REQUEST_DEADLINE"):
        await make_client(http, make_settings(url, request_deadline=0.5)).generate(MODEL, ask())


async def test_slow_endpoint_is_left_for_the_next_after_the_read_timeout(http: httpx2.AsyncClient) -> None:
    slow = EmulatorConfig(token=TOKEN, project=PROJECT, faults=[parse_fault("slow:delay=30,times=0")])
    async with (
        running_emulator(slow) as (_, slow_url),
        running_emulator(EmulatorConfig(token=TOKEN, project=PROJECT)) as (fast, fast_url),
    ):
        settings = make_settings(slow_url, fast_url, read_timeout=0.3)
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(0.3)) as short:
            with anyio.fail_after(10):
                response, _ = await make_client(short, settings).stream(MODEL, ask())
    assert response.candidates and len(fast.requests) == 1


# ----------------------------------------------------------------------------- broken streams


async def test_stream_cut_after_output_is_raised_not_retried(
    emulator: Running, http: httpx2.AsyncClient
) -> None:
    instance, url = emulator
    instance.faults.add(parse_fault("cut:chunks=1,times=0"))
    seen: list[GenerateContentResponse] = []

    async def on_chunk(chunk: GenerateContentResponse) -> None:
        seen.append(chunk)

    with pytest.raises(AntigravityConnectionError, match=r"broke mid-response|ended before"):
        await make_client(http, make_settings(url)).stream(MODEL, ask("a b c d e f g h i"), on_chunk=on_chunk)
    assert len(seen) == 1 and len(instance.requests) == 1


async def test_stream_cut_before_output_is_retried(emulator: Running, http: httpx2.AsyncClient) -> None:
    instance, url = emulator
    instance.faults.add(parse_fault("cut:chunks=0,times=1"))
    response, _ = await make_client(http, make_settings(url)).stream(MODEL, ask())
    assert response.candidates and len(instance.requests) == 2


async def test_unary_response_cut_mid_body_is_retried(emulator: Running, http: httpx2.AsyncClient) -> None:
    instance, url = emulator
    instance.faults.add(parse_fault("cut"))
    response, _ = await make_client(http, make_settings(url)).generate(MODEL, ask())
    assert response.candidates and len(instance.requests) == 2


async def test_error_inside_a_stream_raises_the_typed_error(
    emulator: Running, http: httpx2.AsyncClient
) -> None:
    instance, url = emulator
    instance.faults.add(parse_fault("stream_error:chunks=1,status=429"))
    with pytest.raises(RateLimitError):
        await make_client(http, make_settings(url)).stream(MODEL, ask("a b c d e f g h i"))
    assert len(instance.requests) == 1  # output had been delivered: no silent retry


# ----------------------------------------------------------------------------- project discovery


async def test_project_is_discovered_once_and_cached(emulator: Running, http: httpx2.AsyncClient) -> None:
    instance, url = emulator
    client = make_client(http, make_settings(url, project=None))
    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(client.generate, MODEL, ask())
    methods = [r["method"] for r in instance.requests]
    assert methods.count("loadCodeAssist") == 1 and methods.count("generateContent") == 3
    assert {r["body"]["project"] for r in generations(instance)} == {PROJECT}
    load = next(r for r in instance.requests if r["method"] == "loadCodeAssist")
    assert load["body"] == {"metadata": {"ideType": "ANTIGRAVITY"}}


async def test_onboarding_is_polled_until_done(http: httpx2.AsyncClient) -> None:
    config = EmulatorConfig(token=TOKEN, project="fresh-project", onboarding=True, onboard_polls=2)
    sleep = RecordingSleep()
    async with running_emulator(config) as (instance, url):
        client = make_client(http, make_settings(url, project=None, onboard_poll_interval=5.0), sleep)
        await client.generate(MODEL, ask())
    methods = [r["method"] for r in instance.requests]
    assert methods == ["loadCodeAssist", "onboardUser", "onboardUser", "onboardUser", "generateContent"]
    assert instance.requests[1]["body"] == {
        "tierId": "free-tier",
        "metadata": {"ideType": "ANTIGRAVITY", "ideVersion": "2.9.1", "ideName": "antigravity"},
    }
    assert sleep.delays == [5.0, 5.0]
    assert generations(instance)[0]["body"]["project"] == "fresh-project"


async def test_discovery_failure_uses_the_fallback_project(
    emulator: Running, http: httpx2.AsyncClient
) -> None:
    instance, url = emulator
    settings = make_settings(url, project=None, discovery_endpoints=[closed_port_url()], max_retries=0)
    await make_client(http, settings).generate(MODEL, ask())
    assert generations(instance)[0]["body"]["project"] == DEFAULT_PROJECT


async def test_discovery_with_a_bad_token_is_an_error(emulator: Running, http: httpx2.AsyncClient) -> None:
    _, url = emulator
    with pytest.raises(AuthenticationError):
        await make_client(http, make_settings(url, project=None, access_token="wrong")).generate(MODEL, ask())


async def test_configured_project_skips_discovery(emulator: Running, http: httpx2.AsyncClient) -> None:
    instance, url = emulator
    await make_client(http, make_settings(url)).generate(MODEL, ask())
    assert [r["method"] for r in instance.requests] == ["generateContent"]
