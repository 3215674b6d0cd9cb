/** Newest first: the server answers with the client's version if it knows it, else its newest. */
export const SUPPORTED_PROTOCOL_VERSIONS = ["2025-06-18", "2025-03-26", "2024-11-05"] as const;

export function isSupportedProtocolVersion(version: unknown): version is string {
  return (SUPPORTED_PROTOCOL_VERSIONS as readonly unknown[]).includes(version);
}

export function negotiateProtocolVersion(requested: unknown): string {
  return isSupportedProtocolVersion(requested) ? requested : SUPPORTED_PROTOCOL_VERSIONS[0];
}

export function initializeResult(requestedVersion: unknown, version: string) {
  return {
    protocolVersion: negotiateProtocolVersion(requestedVersion),
    serverInfo: { name: "workers-mcp", version },
    capabilities: { tools: { listChanged: false } },
    instructions: "Enqueue background jobs, send templated emails and look up job status.",
  };
}
