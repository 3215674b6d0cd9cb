import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./env";

/** Thrown by routes and middleware; the error handler turns it into `{error: {code, message}}`. */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(status, { message });
  }
}

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/**
 * Downstream services throw errors carrying `status` and `code` (RPC keeps an error's own
 * properties), so a 4xx decided by, say, email's template validation reaches the client as is.
 */
function isClientErrorFromService(err: unknown): err is Error & { status: number; code: string } {
  const { status, code } = err as { status?: unknown; code?: unknown };
  return typeof status === "number" && status >= 400 && status < 500 && typeof code === "string";
}

export function handleError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof ApiError) return c.json(errorBody(err.code, err.message), err.status);
  if (err instanceof HTTPException) return err.getResponse();
  if (isClientErrorFromService(err)) {
    return c.json(errorBody(err.code, err.message), err.status as ContentfulStatusCode);
  }
  // Anything else is a bug or an outage: log it with the request id, tell the client nothing more.
  console.error(`gateway: request ${c.get("requestId")} failed`, err);
  return c.json(errorBody("internal_error", "internal error"), 500);
}

const ROUTES = [
  "GET /health",
  "POST /v1/keys",
  "POST /v1/jobs",
  "GET /v1/jobs/:id",
  "POST /v1/emails",
  "POST /v1/mcp",
  "POST /v1/webhooks/:source",
].join(", ");

export function handleNotFound(c: Context<AppEnv>): Response {
  const route = `${c.req.method} ${new URL(c.req.url).pathname}`;
  return c.json(errorBody("not_found", `no route for ${route}; valid: ${ROUTES}`), 404);
}
