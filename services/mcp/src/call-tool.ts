import { type CallToolResult, ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import type { Env } from "./env";
import { InvalidArguments, TOOLS } from "./tools";

/**
 * The SDK answers a handler's error with its numeric `code` and its message; McpError would
 * prefix the message with "MCP error -32602: ", which says the code twice.
 */
class UnknownTool extends Error {
  readonly code = ErrorCode.InvalidParams;
}

const text = (message: string, isError: boolean) => ({
  content: [{ type: "text" as const, text: message }],
  isError,
});

/**
 * tools/call, with the errors MCP 2025-11-25 asks for: an unknown tool is a protocol error
 * (-32602); arguments the schema refuses and failures inside the tool (a downstream error, a
 * missing job) are tool results with isError, so the model reads the message and can correct
 * its call instead of the client treating the call as broken.
 */
export async function callTool(env: Env, name: string, args: unknown): Promise<CallToolResult> {
  const tool = TOOLS.find((t) => t.name === name);
  if (!tool) {
    throw new UnknownTool(
      `unknown tool ${JSON.stringify(name)}; valid: ${TOOLS.map((t) => t.name).join(", ")}`,
    );
  }
  let value: object;
  try {
    value = await tool.call(env, args ?? {});
  } catch (error) {
    if (error instanceof InvalidArguments) {
      return text(`invalid arguments for ${tool.name}: ${error.message}`, true);
    }
    const message = error instanceof Error ? error.message : String(error);
    return text(`${tool.name} failed: ${message}`, true);
  }
  return {
    ...text(JSON.stringify(value), false),
    structuredContent: value as Record<string, unknown>,
  };
}
