import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { resetFakes } from "./fakes";
import { postMcp, rpc } from "./rpc";

beforeEach(resetFakes);

describe("initialize", () => {
  it("echoes a supported protocol version and advertises tools", async () => {
    const reply = await rpc("initialize", {
      protocolVersion: "2025-03-26",
      capabilities: {},
      clientInfo: { name: "test", version: "1" },
    });
    expect(reply.result).toMatchObject({
      protocolVersion: "2025-03-26",
      serverInfo: { name: "workers-mcp", version: env.VERSION?.id },
      capabilities: { tools: {} },
    });
  });

  it("offers the current specification's version when the client's is unknown", async () => {
    const reply = await rpc("initialize", {
      protocolVersion: "1999-01-01",
      capabilities: {},
      clientInfo: { name: "test", version: "1" },
    });
    expect(reply.result?.protocolVersion).toBe("2025-11-25");
  });

  it.each(["2025-11-25", "2025-06-18", "2024-11-05"])(
    "still negotiates %s when the client asks for it",
    async (protocolVersion) => {
      const reply = await rpc("initialize", {
        protocolVersion,
        capabilities: {},
        clientInfo: { name: "test", version: "1" },
      });
      expect(reply.result?.protocolVersion).toBe(protocolVersion);
    },
  );
});

describe("MCP-Protocol-Version header", () => {
  const ping = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });

  it.each(["2025-11-25", "2025-06-18"])("accepts the negotiated version %s", async (version) => {
    const res = await postMcp(ping, "/mcp", { "mcp-protocol-version": version });
    expect(res.status).toBe(200);
  });

  it("refuses a version it never offered with 400 naming the valid ones", async () => {
    const res = await postMcp(ping, "/mcp", { "mcp-protocol-version": "2030-01-01" });
    expect(res.status).toBe(400);
    const reply = await res.json<{ error: { code: number; message: string } }>();
    expect(reply.error.message).toMatch(
      /Unsupported protocol version: 2030-01-01 \(supported versions: 2025-11-25, 2025-06-18, /,
    );
  });
});

describe("tools/list", () => {
  it("lists the three tools with JSON Schemas for their inputs", async () => {
    const reply = await rpc("tools/list");
    const tools = reply.result?.tools as { name: string; inputSchema: Record<string, unknown> }[];
    expect(tools.map((t) => t.name)).toEqual(["enqueue_job", "send_email", "get_job"]);
    const enqueue = tools[0]?.inputSchema;
    expect(enqueue).toMatchObject({
      type: "object",
      properties: { type: { enum: ["send_email", "process_webhook", "noop"] } },
      required: ["type"],
    });
    expect(tools[2]?.inputSchema).toMatchObject({ required: ["id"] });
  });
});

describe("JSON-RPC errors", () => {
  it("answers an unknown method with -32601", async () => {
    const reply = await rpc("resources/list");
    expect(reply.error?.code).toBe(-32601);
  });

  it("answers ping", async () => {
    expect((await rpc("ping")).result).toEqual({});
  });

  it("answers malformed JSON with -32700 and HTTP 400", async () => {
    const res = await postMcp('{"jsonrpc": "2.0",');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32700 } });
  });

  it("answers a message that is not JSON-RPC 2.0 with HTTP 400", async () => {
    const res = await postMcp(JSON.stringify({ jsonrpc: "1.0", id: 1 }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: expect.any(Number) } });
  });

  it("refuses an oversized body with 413", async () => {
    const params = { padding: "x".repeat(70_000) };
    const res = await postMcp(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params }));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32000 } });
  });

  it("refuses a client that does not accept both JSON and SSE with 406", async () => {
    const res = await postMcp(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }), "/mcp", {
      accept: "application/json",
    });
    expect(res.status).toBe(406);
  });
});

describe("notifications", () => {
  it("accepts a notification with 202 and no body", async () => {
    const res = await postMcp(
      JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
    );
    expect(res.status).toBe(202);
    expect(await res.text()).toBe("");
  });

  it("runs nothing for a tools/call sent as a notification", async () => {
    const res = await postMcp(
      JSON.stringify({
        jsonrpc: "2.0",
        method: "tools/call",
        params: { name: "enqueue_job", arguments: { type: "noop" } },
      }),
    );
    expect(res.status).toBe(202);
    const { fakeQueue } = await import("./fakes");
    expect(await fakeQueue.recorded()).toEqual([]);
  });
});

describe("routing", () => {
  it("answers GET /health", async () => {
    const res = await exports.default.fetch("http://mcp/health");
    expect(await res.json()).toEqual({ service: "mcp", version: env.VERSION?.id, status: "ok" });
  });

  it("answers GET /mcp with a JSON 405 (no SSE stream is offered)", async () => {
    const res = await exports.default.fetch("http://mcp/mcp");
    expect(res.status).toBe(405);
    expect(await res.json()).toMatchObject({ error: { code: "method_not_allowed" } });
  });

  it("answers an unknown route with a JSON 404", async () => {
    const res = await postMcp("{}", "/rpc");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
  });
});
