import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Env } from "./env";
import { createMcpServer } from "./mcp-server";

/** JSON-RPC messages are small; anything larger is refused (413). */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * POST /mcp: the SDK's Streamable HTTP transport on Web-standard Request and Response, stateless
 * (no session id: every tool is a single call, so any isolate can answer any request) and
 * answering plain JSON rather than an SSE stream. Server and transport live for one request.
 */
export async function handleMcp(request: Request, env: Env): Promise<Response> {
  const server = createMcpServer(env);
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
    maxRequestBodySize: MAX_BODY_BYTES,
  });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request);
  } finally {
    await server.close();
  }
}
