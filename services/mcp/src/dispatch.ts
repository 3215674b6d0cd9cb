import { callTool } from "./call-tool";
import type { Env } from "./env";
import {
  ErrorCode,
  failure,
  type JsonRpcRequest,
  type JsonRpcResponse,
  RpcError,
  success,
} from "./json-rpc";
import { initializeResult } from "./protocol";
import { TOOLS } from "./tools";

type Handler = (env: Env, params: JsonRpcRequest["params"]) => Promise<unknown>;

const METHODS: Record<string, Handler> = {
  initialize: async (env, params) =>
    initializeResult(params?.protocolVersion, env.VERSION?.id ?? "dev"),
  ping: async () => ({}),
  "tools/list": async () => ({
    tools: TOOLS.map(({ name, description, inputSchema }) => ({ name, description, inputSchema })),
  }),
  "tools/call": callTool,
};

/** Answers one well-formed JSON-RPC request. */
export async function dispatch(env: Env, request: JsonRpcRequest): Promise<JsonRpcResponse> {
  const id = request.id ?? null;
  const handler = Object.hasOwn(METHODS, request.method) ? METHODS[request.method] : undefined;
  if (!handler) {
    return failure(
      id,
      ErrorCode.MethodNotFound,
      `method ${JSON.stringify(request.method)} not found; valid: ${Object.keys(METHODS).join(", ")}`,
    );
  }
  try {
    return success(id, await handler(env, request.params));
  } catch (error) {
    if (error instanceof RpcError) return failure(id, error.code, error.message);
    throw error;
  }
}
