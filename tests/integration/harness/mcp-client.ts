import type { Miniflare } from "miniflare";
import { callGateway, type GatewayResponse } from "./gateway-client.js";

let nextId = 1;

/** One JSON-RPC 2.0 call to the MCP endpoint, through the gateway with an API key. */
export function callMcp(
  mf: Miniflare,
  apiKey: string,
  method: string,
  params?: unknown,
  headers: Record<string, string> = {},
): Promise<GatewayResponse> {
  return callGateway(mf, "/v1/mcp", {
    method: "POST",
    token: apiKey,
    // Streamable HTTP: a client must accept both a JSON answer and an SSE stream.
    headers: { accept: "application/json, text/event-stream", ...headers },
    body: { jsonrpc: "2.0", id: nextId++, method, ...(params !== undefined && { params }) },
  });
}
