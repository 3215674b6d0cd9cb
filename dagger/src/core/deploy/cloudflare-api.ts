import * as z from "zod";
import type { HttpClient } from "./ports.js";
import { CLOUDFLARE_API_BASE_URL } from "./version-metrics.js";

/**
 * The Cloudflare API asked from the pipeline's own process, for the calls where starting a
 * wrangler process (Node start-up, config reading, look-ups that only print) costs more than the
 * one request wrangler would end up making.
 */
export interface CloudflareApi {
  baseUrl: string;
  accountId: string;
  /** Sent in the Authorization header only: never in a URL, a message or an error. */
  token: string;
}

/**
 * The API wrangler would call, read from the same variables wrangler reads
 * (CLOUDFLARE_API_BASE_URL replaces Cloudflare's for both).
 */
export function cloudflareApiFromEnv(env: Record<string, string | undefined>): CloudflareApi {
  return {
    baseUrl: env.CLOUDFLARE_API_BASE_URL || CLOUDFLARE_API_BASE_URL,
    accountId: env.CLOUDFLARE_ACCOUNT_ID ?? "",
    token: env.CLOUDFLARE_API_TOKEN ?? "",
  };
}

/**
 * Long enough for Cloudflare (or the local control plane restarting workerd, 1 to 3 s) to
 * answer; short enough that a hung call falls back to wrangler well within a deploy.
 */
const REQUEST_TIMEOUT_MS = 20_000;

const envelopeSchema = z.object({
  success: z.boolean(),
  errors: z.array(z.object({ code: z.number(), message: z.string() })).default([]),
  result: z.unknown().optional(),
});

/**
 * done: the API did it, with its `result`. refused: it answered no, which wrangler would be
 * told too. unreachable: no answer that is the API's, where wrangler may still get through.
 */
export type ApiAnswer =
  | { kind: "done"; result: unknown }
  | { kind: "refused"; status: number; code: number | undefined; message: string }
  | { kind: "unreachable"; reason: string };

/** One request to `/accounts/<account>/workers/scripts/<worker>/<path>`. */
export async function workerScriptRequest(
  http: HttpClient,
  api: CloudflareApi,
  request: { method: "GET" | "POST"; worker: string; path: string; body?: unknown },
): Promise<ApiAnswer> {
  const url = `${api.baseUrl.replace(/\/+$/, "")}/accounts/${encodeURIComponent(api.accountId)}/workers/scripts/${encodeURIComponent(request.worker)}/${request.path}`;
  let response: Awaited<ReturnType<HttpClient["request"]>>;
  try {
    response = await http.request({
      method: request.method,
      url,
      headers: {
        authorization: `Bearer ${api.token}`,
        ...(request.body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
  } catch (error) {
    return { kind: "unreachable", reason: `the API did not answer (${(error as Error).message})` };
  }
  let envelope: z.infer<typeof envelopeSchema>;
  try {
    envelope = envelopeSchema.parse(JSON.parse(response.body));
  } catch {
    return {
      kind: "unreachable",
      reason: `the API answered HTTP ${response.status} without its JSON envelope`,
    };
  }
  if (envelope.success && response.status < 300) return { kind: "done", result: envelope.result };
  const [first] = envelope.errors;
  return {
    kind: "refused",
    status: response.status,
    code: first?.code,
    message: first?.message ?? "no error message",
  };
}

/** "HTTP 403, code 10000: <message>", on one line: the API's messages can span lines. */
export function describeRefusal(answer: Extract<ApiAnswer, { kind: "refused" }>): string {
  const code = answer.code === undefined ? "" : `, code ${answer.code}`;
  return `HTTP ${answer.status}${code}: ${answer.message.replace(/\s+/g, " ").trim()}`;
}
