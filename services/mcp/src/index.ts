import { WorkerEntrypoint } from "cloudflare:workers";
import { healthResponse, jsonError } from "@workers/http";
import type { Env } from "./env";
import { handleMcp } from "./handle-mcp";

export type { Env } from "./env";

const ROUTES = "GET /health, POST /mcp";

export default class McpService extends WorkerEntrypoint<Env> {
  override async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    const route = `${request.method} ${pathname}`;
    if (route === "GET /health") return healthResponse("mcp", this.env.VERSION);
    if (route === "POST /mcp") return handleMcp(request, this.env);
    if (pathname === "/health" || pathname === "/mcp") {
      return jsonError(
        405,
        "method_not_allowed",
        `${request.method} not allowed; valid: ${ROUTES}`,
      );
    }
    return jsonError(404, "not_found", `no route for ${route}; valid: ${ROUTES}`);
  }
}
