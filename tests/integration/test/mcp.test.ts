import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../harness/api-keys.js";
import { dbClient } from "../harness/db-client.js";
import { snapshotDatabase } from "../harness/db-snapshot.js";
import { callGateway } from "../harness/gateway-client.js";
import { jobsCreatedSince, listJobIds, waitForCompletedJobs } from "../harness/jobs.js";
import { callMcp } from "../harness/mcp-client.js";
import { connectMcpClient } from "../harness/mcp-sdk-client.js";
import { useCluster } from "../harness/use-cluster.js";

const cluster = useCluster();
let apiKey: string;

beforeAll(async () => {
  apiKey = (await createApiKey(cluster.mf, "mcp-client")).key;
});

interface ToolResult {
  content?: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** Calls a tool through a freshly connected SDK client. */
async function callTool(name: string, args: Record<string, unknown>): Promise<ToolResult> {
  const { client } = await connectMcpClient(cluster.mf, apiKey);
  try {
    return (await client.callTool({ name, arguments: args })) as ToolResult;
  } finally {
    await client.close();
  }
}

/** Runs `call` and checks that the database is exactly as it was. */
async function expectNothingChanged<T>(call: () => Promise<T>): Promise<T> {
  const database = await cluster.database();
  const before = await snapshotDatabase(database);
  const result = await call();
  expect(await snapshotDatabase(database)).toEqual(before);
  return result;
}

describe("the official MCP SDK client through the gateway", { tags: ["gateway", "db"] }, () => {
  it("initializes on the current specification and lists the three tools", async () => {
    const { client, transport } = await connectMcpClient(cluster.mf, apiKey);
    try {
      expect(transport.protocolVersion).toBe("2025-11-25");
      expect(client.getServerVersion()).toMatchObject({ name: "workers-mcp" });
      expect(client.getServerCapabilities()).toMatchObject({ tools: {} });

      const { tools } = await client.listTools();

      expect(tools.map((tool) => tool.name)).toEqual(["enqueue_job", "send_email", "get_job"]);
      expect(tools.find((tool) => tool.name === "get_job")?.inputSchema).toMatchObject({
        type: "object",
        required: ["id"],
      });
    } finally {
      await client.close();
    }
  });

  it("enqueue_job enqueues a job the consumer completes, and get_job reads it back", async () => {
    const db = await dbClient(cluster.mf);
    const before = await listJobIds(await cluster.database());

    const enqueued = await callTool("enqueue_job", { type: "noop", payload: { via: "mcp" } });

    expect(enqueued.isError).toBe(false);
    const created = await jobsCreatedSince(await cluster.database(), before);
    expect(created).toHaveLength(1);
    expect(enqueued.structuredContent).toEqual({ id: created[0] });
    await waitForCompletedJobs(db, created);
    const lookup = await callTool("get_job", { id: created[0] as string });
    expect(lookup.structuredContent).toMatchObject({
      id: created[0],
      type: "noop",
      payload: { via: "mcp" },
      status: "completed",
    });
  });

  it("send_email renders, sends and records the email in the outbox", async () => {
    const db = await dbClient(cluster.mf);
    const to = `mcp-${Date.now()}@example.com`;

    const sent = await callTool("send_email", { to, template: "welcome", data: { name: "Ada" } });

    expect(sent).toMatchObject({ isError: false, structuredContent: { status: "sent" } });
    expect(await db.listOutbox({ to })).toEqual([
      expect.objectContaining({ to, template: "welcome", status: "sent" }),
    ]);
  });

  it.each([
    ["enqueue_job", { type: "rm -rf" }, /^invalid arguments for enqueue_job: type: /],
    ["send_email", { to: "not-an-email" }, /^invalid arguments for send_email: to: .*; template: /],
    ["get_job", {}, /^invalid arguments for get_job: id: /],
  ])(
    "%s answers invalid arguments with a tool error the model can act on, changing nothing",
    async (name, args, message) => {
      const result = await expectNothingChanged(() => callTool(name, args));

      expect(result.isError).toBe(true);
      expect(result.content?.[0]?.text).toMatch(message);
    },
  );

  it("get_job reports a job that does not exist as a tool error", async () => {
    const result = await callTool("get_job", { id: "no-such-job" });

    expect(result).toMatchObject({
      isError: true,
      content: [{ type: "text", text: 'get_job failed: job "no-such-job" not found' }],
    });
  });

  it("refuses an unknown tool with the protocol error -32602", async () => {
    const error = await expectNothingChanged(() =>
      callTool("drop_tables", {}).then(
        () => undefined,
        (thrown: unknown) => thrown,
      ),
    );

    expect(error).toBeInstanceOf(McpError);
    expect(error).toMatchObject({ code: -32602, message: expect.stringContaining("drop_tables") });
  });

  it("sends a notification, which the server takes without an answer and runs nothing for", async () => {
    const { client } = await connectMcpClient(cluster.mf, apiKey);
    try {
      await expectNothingChanged(() =>
        client.notification({
          method: "notifications/cancelled",
          params: { requestId: 42, reason: "the user stopped waiting" },
        }),
      );
    } finally {
      await client.close();
    }
  });
});

describe("MCP on the wire, through the gateway", { tags: ["gateway", "db"] }, () => {
  const initialize = (protocolVersion: string) => ({
    protocolVersion,
    capabilities: {},
    clientInfo: { name: "integration-tests", version: "1.0.0" },
  });

  it.each(["2025-06-18", "2025-03-26"])(
    "still negotiates %s for a client that asks for it",
    async (version) => {
      const init = await callMcp(cluster.mf, apiKey, "initialize", initialize(version));

      expect(init.status).toBe(200);
      expect(init.body).toMatchObject({ result: { protocolVersion: version } });
    },
  );

  it("answers an initialize with an unknown version with the current one", async () => {
    const init = await callMcp(cluster.mf, apiKey, "initialize", initialize("2023-01-01"));

    expect(init.body).toMatchObject({ result: { protocolVersion: "2025-11-25" } });
  });

  it("refuses a request under a protocol version it does not support with 400", async () => {
    const response = await callMcp(cluster.mf, apiKey, "tools/list", undefined, {
      "mcp-protocol-version": "2023-01-01",
    });

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: { message: expect.stringContaining("Unsupported protocol version: 2023-01-01") },
    });
  });

  it("answers a notification with 202 and no body", async () => {
    const response = await callGateway(cluster.mf, "/v1/mcp", {
      method: "POST",
      token: apiKey,
      headers: { accept: "application/json, text/event-stream" },
      body: { jsonrpc: "2.0", method: "notifications/initialized" },
    });

    expect(response.status).toBe(202);
    expect(response.body).toBe("");
  });

  it.each([
    { name: "malformed JSON", rawBody: "{not json", code: -32700 },
    {
      name: "an unknown method",
      rawBody: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "no/such" }),
      code: -32601,
    },
  ])("answers $name with JSON-RPC error $code and changes nothing", async ({ rawBody, code }) => {
    const response = await expectNothingChanged(() =>
      callGateway(cluster.mf, "/v1/mcp", {
        method: "POST",
        token: apiKey,
        headers: { accept: "application/json, text/event-stream" },
        body: rawBody,
      }),
    );

    expect(response.body).toMatchObject({ jsonrpc: "2.0", error: { code } });
  });

  it("refuses a client without an API key at the gateway", async () => {
    const response = await callGateway(cluster.mf, "/v1/mcp", {
      method: "POST",
      body: { jsonrpc: "2.0", id: 1, method: "ping" },
    });

    expect(response.status).toBe(401);
  });
});
