import type { Miniflare } from "miniflare";

export interface GatewayResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the gateway answered JSON, otherwise the raw text. */
  body: unknown;
}

export interface GatewayRequest {
  method?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Objects are sent as JSON; strings are sent verbatim (for malformed or oversized bodies). */
  body?: unknown;
  headers?: Record<string, string>;
}

// Requests enter through the gateway worker, exactly as public traffic would.
export async function callGateway(
  mf: Miniflare,
  path: string,
  { method = "GET", token, body, headers = {} }: GatewayRequest = {},
): Promise<GatewayResponse> {
  const gateway = await mf.getWorker("gateway");
  const requestHeaders: Record<string, string> = { ...headers };
  if (token !== undefined) requestHeaders.authorization = `Bearer ${token}`;
  if (body !== undefined) requestHeaders["content-type"] ??= "application/json";
  const response = await gateway.fetch(`http://gateway.test${path}`, {
    method,
    headers: requestHeaders,
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  const isJson = response.headers.get("content-type")?.includes("application/json") ?? false;
  return {
    status: response.status,
    headers: new Headers([...response.headers]),
    body: isJson ? JSON.parse(text) : text,
  };
}
