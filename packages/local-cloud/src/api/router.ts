import { ApiError, ErrorCode } from "./envelope.js";

export interface RouteContext {
  params: Record<string, string>;
  url: URL;
  request: Request;
}

export type RouteHandler = (context: RouteContext) => Promise<unknown> | unknown;

interface Route {
  method: string;
  segments: string[];
  handler: RouteHandler;
}

/** Method + path-pattern table (`/accounts/:account/...`); the handler's value is the result. */
export class Router {
  private readonly routes: Route[] = [];

  on(method: string, pattern: string, handler: RouteHandler): this {
    this.routes.push({ method, segments: pattern.split("/").filter(Boolean), handler });
    return this;
  }

  match(method: string, path: string): { handler: RouteHandler; params: Record<string, string> } {
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    let pathMatched = false;
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const matches = route.segments.every((segment, index) => {
        const part = parts[index] as string;
        if (segment.startsWith(":")) {
          params[segment.slice(1)] = part;
          return true;
        }
        return segment === part;
      });
      if (!matches) continue;
      if (route.method === method) return { handler: route.handler, params };
      pathMatched = true;
    }
    // Gaps must be visible: the message names the exact route wrangler asked for.
    throw new ApiError(
      pathMatched ? 405 : 404,
      ErrorCode.routeNotImplemented,
      `local control plane: no route for ${method} ${path}${pathMatched ? " (path known, method not supported)" : ""}`,
    );
  }
}
