// The official TypeScript SDK client against mcp-antigravity: every tool over stdio, SSE and
// streamable HTTP (the SDK checks each structured result against the tool's output schema), a
// call slower than the SDK's 60 s default timeout kept alive by progress, and a cancelled call.
// Usage: node ts_client.mjs plan.json  -> prints a JSON report on stdout.
import fs from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const plan = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const report = { transports: {}, slow: null, cancel: null, seconds: {} };
const began = Date.now();
const mark = (what) => { report.seconds[what] = (Date.now() - began) / 1000; };

function transportFor(name) {
  if (name === "stdio") {
    return new StdioClientTransport({ ...plan.stdio, stderr: "ignore" });
  }
  if (name === "sse") return new SSEClientTransport(new URL(plan.sse));
  return new StreamableHTTPClientTransport(new URL(plan.http));
}

async function connect(name) {
  const client = new Client({ name: "ts-sdk-check", version: "1.0.0" });
  await client.connect(transportFor(name));
  return client;
}

for (const name of ["stdio", "sse", "http"]) {
  const client = await connect(name);
  const listed = (await client.listTools()).tools;
  const calls = {};
  for (const tool of listed) {
    try {
      const result = await client.callTool({ name: tool.name, arguments: plan.calls[tool.name] ?? {} });
      calls[tool.name] = {
        ok: !result.isError,
        structured: result.structuredContent !== undefined,
        text: (result.content.find((c) => c.type === "text") || {}).text?.slice(0, 200) ?? "",
      };
    } catch (error) {
      calls[tool.name] = { ok: false, error: String(error) };
    }
    mark(`${name} ${tool.name}`);
  }
  report.transports[name] = {
    tools: listed.map((t) => t.name),
    schemas: listed.every((t) => t.outputSchema && t.annotations),
    calls,
  };
  await client.close();
  mark(`${name} closed`);
}

// A slow upstream: no byte for longer than the SDK's default timeout. Progress keeps it alive.
{
  const client = await connect("http");
  const started = Date.now();
  let progress = 0;
  try {
    const result = await client.callTool({ name: plan.slow.tool, arguments: plan.slow.arguments }, undefined, {
      resetTimeoutOnProgress: true,
      onprogress: () => { progress += 1; },
    });
    report.slow = { ok: !result.isError, progress, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    report.slow = { ok: false, progress, seconds: (Date.now() - started) / 1000, error: String(error) };
  }
  await client.close();
}

// Cancellation: the caller gives up once the call is under way.
{
  const client = await connect("http");
  const abort = new AbortController();
  let progress = 0;
  try {
    await client.callTool({ name: plan.cancel.tool, arguments: plan.cancel.arguments }, undefined, {
      signal: abort.signal,
      resetTimeoutOnProgress: true,
      onprogress: () => { progress += 1; abort.abort("the caller gave up"); },
    });
    report.cancel = { cancelled: false, progress };
  } catch (error) {
    report.cancel = { cancelled: true, progress, error: String(error) };
  }
  // Stay connected until the upstream request is seen closed (the emulator records it), so that
  // the cancellation the SDK sends is not cut short by closing the client.
  const until = Date.now() + 20000;
  report.cancel.upstreamClosed = false;
  while (Date.now() < until && !report.cancel.upstreamClosed) {
    const log = await (await fetch(`${plan.emulator}/_emulator/requests`)).json();
    report.cancel.upstreamClosed = log.requests.some((r) => r.method === "streamGenerateContent" && r.disconnected);
    if (!report.cancel.upstreamClosed) await new Promise((done) => setTimeout(done, 100));
  }
  await client.close();
}

console.log(JSON.stringify(report));
