import type { Clock, HttpClient, HttpRequest, HttpResponse } from "./ports.js";

/**
 * The Cloudflare API is asked through this: an answer of 429 or 5xx is retried with exponential
 * backoff, waiting at least what `Retry-After` asks; a request that got no answer (a timeout, a
 * reset connection) is retried only where repeating it cannot do something twice.
 *
 * Safe to repeat after no answer: reads (GET, HEAD), a deployment (POST .../deployments names
 * its versions and their shares in full, so a second one leaves the same split) and a GraphQL
 * analytics query (POST /graphql only reads). Not safe: an upload (PUT .../scripts/<name>, POST
 * .../versions) may have created a version before the answer was lost, and a repeat makes
 * another; anything else is not retried either. wrangler's own uploads are wrangler's to retry.
 * An answer of 429 or 5xx is retried for any request: the API answered that it did not do it
 * (429, 502, 503, 504) or failed before doing it (500 on Cloudflare's API is an error envelope).
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** The first backoff; each later one doubles, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited out: the answer is returned as it is. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

export function retryingHttpClient(
  http: HttpClient,
  clock: Clock,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  /** One line per retry, so a slow run says why it is slow. */
  notice: (line: string) => void = () => {},
): HttpClient {
  return {
    async request(request) {
      for (let attempt = 1; ; attempt++) {
        const last = attempt >= policy.attempts;
        let response: HttpResponse;
        try {
          response = await http.request(request);
        } catch (error) {
          if (last || !safeToRepeat(request)) throw error;
          const delay = backoff(policy, attempt);
          notice(
            `${describe(request)}: no answer (${(error as Error).message}); retry ${attempt}/${policy.attempts - 1} in ${delay} ms`,
          );
          await clock.sleep(delay);
          continue;
        }
        if (last || !retriedStatus(response.status)) return response;
        const asked = retryAfterMs(response.headers["retry-after"], clock.now());
        if (asked !== undefined && asked > policy.maxRetryAfterMs) return response;
        const delay = Math.max(asked ?? 0, backoff(policy, attempt));
        notice(
          `${describe(request)}: HTTP ${response.status}; retry ${attempt}/${policy.attempts - 1} in ${delay} ms`,
        );
        await clock.sleep(delay);
      }
    },
  };
}

function retriedStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501);
}

export function safeToRepeat(request: Pick<HttpRequest, "method" | "url">): boolean {
  const method = request.method.toUpperCase();
  if (method === "GET" || method === "HEAD") return true;
  if (method !== "POST") return false;
  const path = new URL(request.url).pathname;
  return /\/workers\/scripts\/[^/]+\/deployments$/.test(path) || path.endsWith("/graphql");
}

/** `Retry-After` in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function backoff(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}

/** Method and path only: a query string could carry something that should not be logged. */
function describe(request: HttpRequest): string {
  return `${request.method} ${new URL(request.url).pathname}`;
}
