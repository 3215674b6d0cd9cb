import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { callTool } from "./call-tool";
import type { Env } from "./env";
import { TOOLS } from "./tools";

/**
 * The SDK's server: it negotiates the protocol version (2025-11-25 and the older ones its
 * clients may still ask for), answers initialize, ping and unknown methods, and frames every
 * reply. The tools are served through its request handlers rather than McpServer.registerTool,
 * whose tools/call answers an unknown tool with an isError result where 2025-11-25 asks for a
 * protocol error; McpServer itself stays the entry point, as the SDK recommends.
 */
export function createMcpServer(env: Env): McpServer {
  const mcp = new McpServer(
    { name: "workers-mcp", version: env.VERSION?.id ?? "dev" },
    {
      capabilities: { tools: { listChanged: false } },
      instructions: "Enqueue background jobs, send templated emails and look up job status.",
    },
  );
  mcp.server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: TOOLS.map(({ name, description, inputSchema }) => ({ name, description, inputSchema })),
  }));
  mcp.server.setRequestHandler(CallToolRequestSchema, (request) =>
    callTool(env, request.params.name, request.params.arguments),
  );
  return mcp;
}
