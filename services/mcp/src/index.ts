import { WorkerEntrypoint } from "cloudflare:workers";
import type { Env } from "./env";
import { handleMcp } from "./handle-mcp";
import { jsonError } from "./http";

export type { Env } from "./env";

const ROUTES = "GET /health, POST /mcp";

export default class McpService extends WorkerEntrypoint<Env> {
  override async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    const route = `${request.method} ${pathname}`;
    if (route === "GET /health") {
      return Response.json({
        service: "mcp",
        version: this.env.VERSION?.id ?? "dev",
        status: "ok",
      });
    }
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
