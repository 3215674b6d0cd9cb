import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createApiKey } from "../harness/api-keys.js";
import { dbClient } from "../harness/db-client.js";
import { snapshotDatabase } from "../harness/db-snapshot.js";
import { callGateway } from "../harness/gateway-client.js";
import { jobsCreatedSince, listJobIds, waitForCompletedJobs } from "../harness/jobs.js";
import { callMcp } from "../harness/mcp-client.js";
import { useCluster } from "../harness/use-cluster.js";

const cluster = useCluster();
let apiKey: string;

beforeAll(async () => {
  apiKey = (await createApiKey(cluster.mf, "mcp-client")).key;
});

const ToolResult = z.object({
  jsonrpc: z.literal("2.0"),
  result: z.object({
    content: z.array(z.object({ type: z.literal("text"), text: z.string() })).min(1),
    isError: z.boolean().optional(),
  }),
});

function toolOutput(body: unknown): unknown {
  const { result } = ToolResult.parse(body);
  expect(result.isError ?? false).toBe(false);
  return JSON.parse(result.content[0]?.text ?? "null");
}

describe("MCP through the gateway", { tags: ["gateway", "db"] }, () => {
  it("initializes and lists the tools backed by the services", async () => {
    const init = await callMcp(cluster.mf, apiKey, "initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "integration-tests", version: "1.0.0" },
    });
    expect(init.status).toBe(200);
    expect(init.body).toMatchObject({
      jsonrpc: "2.0",
      result: { protocolVersion: expect.any(String), serverInfo: { name: expect.any(String) } },
    });

    const list = await callMcp(cluster.mf, apiKey, "tools/list");
    const names = (list.body as { result: { tools: { name: string }[] } }).result.tools.map(
      (tool) => tool.name,
    );
    expect(names).toEqual(expect.arrayContaining(["enqueue_job", "send_email", "get_job"]));
  });

  it("tools/call enqueue_job enqueues a job that the queue consumer completes", async () => {
    const db = await dbClient(cluster.mf);
    const before = await listJobIds(await cluster.database());

    const call = await callMcp(cluster.mf, apiKey, "tools/call", {
      name: "enqueue_job",
      arguments: { type: "noop", payload: { via: "mcp" } },
    });

    expect(call.status).toBe(200);
    const created = await jobsCreatedSince(await cluster.database(), before);
    expect(created).toHaveLength(1);
    expect(toolOutput(call.body)).toMatchObject({ id: created[0] });
    const [job] = await waitForCompletedJobs(db, created);
    expect(job).toMatchObject({ type: "noop", payload: { via: "mcp" }, status: "completed" });

    const lookup = await callMcp(cluster.mf, apiKey, "tools/call", {
      name: "get_job",
      arguments: { id: created[0] },
    });
    expect(toolOutput(lookup.body)).toMatchObject({ id: created[0], status: "completed" });
  });

  const rpc = (message: object) => JSON.stringify({ jsonrpc: "2.0", id: 1, ...message });
  it.each([
    { name: "malformed JSON", rawBody: "{not json", code: -32700 },
    { name: "an invalid request", rawBody: rpc({ jsonrpc: "1.0", method: "ping" }), code: -32600 },
    { name: "an unknown method", rawBody: rpc({ method: "no/such" }), code: -32601 },
    {
      name: "an unknown tool",
      rawBody: rpc({ method: "tools/call", params: { name: "drop_tables", arguments: {} } }),
      code: -32602,
    },
    {
      name: "invalid tool arguments",
      rawBody: rpc({
        method: "tools/call",
        params: { name: "enqueue_job", arguments: { type: "rm -rf" } },
      }),
      code: -32602,
    },
  ])("answers $name with JSON-RPC error $code and changes nothing", async ({ rawBody, code }) => {
    const database = await cluster.database();
    const before = await snapshotDatabase(database);

    const response = await callGateway(cluster.mf, "/v1/mcp", {
      method: "POST",
      token: apiKey,
      body: rawBody,
    });

    expect(response.body).toMatchObject({
      jsonrpc: "2.0",
      error: { code, message: expect.any(String) },
    });
    expect(await snapshotDatabase(database)).toEqual(before);
  });
});
