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
  const init = {
    method,
    headers: requestHeaders,
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  };
  const response = await fetchRetryingUploadResets(() =>
    gateway.fetch(`http://gateway.test${path}`, init),
  );
  const text = await response.text();
  const isJson = response.headers.get("content-type")?.includes("application/json") ?? false;
  return {
    status: response.status,
    headers: new Headers([...response.headers]),
    body: isJson ? JSON.parse(text) : text,
  };
}

const UPLOAD_ATTEMPTS = 5;

/**
 * The gateway rejects an oversized body from its Content-Length alone, and workerd then closes
 * the connection with the upload unread; under load the client can see that as a reset while
 * it is still writing, before it reads the 413. A reset during the write means the request never
 * fully reached the worker, so sending it again is safe (a reset anywhere else is not retried).
 */
async function fetchRetryingUploadResets<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send();
    } catch (error) {
      if (attempt >= UPLOAD_ATTEMPTS || !isResetWhileWriting(error)) throw error;
    }
  }
}

function isResetWhileWriting(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string; syscall?: string } }).cause;
  return cause?.code === "ECONNRESET" && cause.syscall === "write";
}
