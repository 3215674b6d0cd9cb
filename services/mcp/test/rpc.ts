import { exports } from "cloudflare:workers";

export interface RpcReply {
  jsonrpc: "2.0";
  id: string | number | null;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

export function postMcp(
  body: string,
  path = "/mcp",
  extraHeaders: Record<string, string> = {},
): Promise<Response> {
  return exports.default.fetch(`http://mcp${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...extraHeaders,
    },
    body,
  });
}

let nextId = 1;

/** Sends one JSON-RPC request and returns the parsed reply (asserting nothing about it). */
export async function rpc(method: string, params?: unknown): Promise<RpcReply> {
  const res = await postMcp(JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }));
  return res.json<RpcReply>();
}

export function callTool(name: string, args: unknown): Promise<RpcReply> {
  return rpc("tools/call", { name, arguments: args });
}
