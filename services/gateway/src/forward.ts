import type { Context } from "hono";
import type { AppEnv } from "./env";

/**
 * Passes the request on to a downstream worker's HTTP route, body untouched (webhook signatures
 * cover the raw bytes). The caller's credentials stay at the edge; the request id goes along so
 * logs on both sides can be joined.
 */
export function forward(c: Context<AppEnv>, target: Fetcher, path: string): Promise<Response> {
  const headers = new Headers(c.req.raw.headers);
  headers.delete("authorization");
  headers.delete("cookie");
  headers.set("x-request-id", c.get("requestId"));
  return target.fetch(`https://internal${path}`, {
    method: c.req.method,
    headers,
    body: c.req.raw.body,
  });
}
