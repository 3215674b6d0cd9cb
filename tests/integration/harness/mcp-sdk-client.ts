import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Miniflare } from "miniflare";

export interface ConnectedMcp {
  client: Client;
  transport: StreamableHTTPClientTransport;
}

/**
 * The official MCP TypeScript SDK client over Streamable HTTP, connected (initialize, then
 * notifications/initialized) to the gateway's /v1/mcp with an API key, as an outside MCP client
 * would be. Its requests enter the gateway worker; nothing of the protocol is written here.
 */
export async function connectMcpClient(mf: Miniflare, apiKey: string): Promise<ConnectedMcp> {
  const gateway = await mf.getWorker("gateway");
  const transport = new StreamableHTTPClientTransport(new URL("http://gateway.test/v1/mcp"), {
    requestInit: { headers: { authorization: `Bearer ${apiKey}` } },
    // Miniflare's fetch into the gateway worker stands in for the network.
    fetch: async (url, init) =>
      (await gateway.fetch(String(url), init as never)) as unknown as Response,
  });
  const client = new Client({ name: "integration-tests", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport };
}
