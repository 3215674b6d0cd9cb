import { z } from "zod";
import type { Env } from "./env";
import { describeIssues, ErrorCode, RpcError } from "./json-rpc";
import { TOOLS } from "./tools";

const CallParams = z.object({ name: z.string(), arguments: z.unknown().default({}) });

/**
 * tools/call. Bad names and bad arguments are protocol errors (-32602); a failure inside the
 * tool (downstream error, missing job) is a tool result with isError, as MCP specifies, so the
 * model sees the message instead of the client treating the call as broken.
 */
export async function callTool(env: Env, params: unknown) {
  const call = CallParams.safeParse(params ?? {});
  if (!call.success) throw new RpcError(ErrorCode.InvalidParams, describeIssues(call.error));
  const tool = TOOLS.find((t) => t.name === call.data.name);
  if (!tool) {
    throw new RpcError(
      ErrorCode.InvalidParams,
      `unknown tool ${JSON.stringify(call.data.name)}; valid: ${TOOLS.map((t) => t.name).join(", ")}`,
    );
  }
  let value: object;
  try {
    value = await tool.call(env, call.data.arguments);
  } catch (error) {
    if (error instanceof RpcError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    return { content: [{ type: "text", text: `${tool.name} failed: ${message}` }], isError: true };
  }
  return {
    content: [{ type: "text", text: JSON.stringify(value) }],
    structuredContent: value,
    isError: false,
  };
}
