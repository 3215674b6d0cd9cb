import type { IncomingMessage, ServerResponse } from "node:http";
import * as z from "zod";
import { ErrorCode, failure, ok } from "./envelope.js";

/**
 * Fault injection, so tests can watch the pipeline meet a flaky Cloudflare API: chosen API
 * routes answer 429 (with Retry-After) or 5xx, or never answer, for a number of requests or
 * until cleared. Driven over HTTP (`faultsPath`), since the control plane a deploy uses runs
 * in a process of its own:
 *   POST   /__local-cloud/faults  {"rules":[{...}]}  adds rules (each matched in order)
 *   GET    /__local-cloud/faults                     lists them, with what is left of each
 *   DELETE /__local-cloud/faults                     clears them
 * A rule's `path` is a regular expression matched against the API path after /client/v4
 * (e.g. `/workers/scripts/[^/]+/deployments$`).
 */
export const faultsPath = "/__local-cloud/faults";

const ruleSchema = z.strictObject({
  method: z.string().optional(),
  path: z.string().refine(isRegExp, "expected a regular expression"),
  /** The status to answer with (e.g. 429, 500, 503); or `hang` to answer nothing. */
  status: z.number().int().min(400).max(599).optional(),
  hang: z.boolean().optional(),
  /** Sent with the answer: seconds, or an HTTP date. */
  retryAfter: z.string().optional(),
  /** How many matching requests it applies to; absent, all until cleared. */
  times: z.number().int().positive().optional(),
});
export type FaultRule = z.infer<typeof ruleSchema>;

const bodySchema = z.strictObject({ rules: z.array(ruleSchema).min(1) });

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

export class FaultInjector {
  private rules: FaultRule[] = [];

  add(rules: FaultRule[]): void {
    for (const rule of rules) {
      if (rule.status === undefined && rule.hang !== true) {
        throw new Error(`fault for ${rule.path}: give a status (e.g. 429) or hang: true`);
      }
      this.rules.push({ ...rule });
    }
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  /** The rule that applies to this request, if any, counting it against the rule's `times`. */
  take(method: string, path: string): FaultRule | undefined {
    const index = this.rules.findIndex(
      (rule) =>
        (rule.method === undefined || rule.method.toUpperCase() === method.toUpperCase()) &&
        new RegExp(rule.path).test(path),
    );
    const rule = this.rules[index];
    if (rule === undefined) return undefined;
    if (rule.times !== undefined) {
      rule.times -= 1;
      if (rule.times === 0) this.rules.splice(index, 1);
    }
    return rule;
  }

  /** Answers a request to `faultsPath`. */
  async admin(
    method: string,
    body: () => Promise<string>,
  ): Promise<{ status: number; body: unknown }> {
    if (method === "GET") return { status: 200, body: ok(this.list()) };
    if (method === "DELETE") {
      this.clear();
      return { status: 200, body: ok(null) };
    }
    if (method === "POST") {
      let parsed: z.infer<typeof bodySchema>;
      try {
        parsed = bodySchema.parse(JSON.parse(await body()));
        this.add(parsed.rules);
      } catch (error) {
        const message =
          error instanceof z.ZodError
            ? z.prettifyError(error).replace(/\s+/g, " ")
            : (error as Error).message;
        return {
          status: 400,
          body: failure(
            ErrorCode.badRequest,
            `faults: expected {"rules":[{"path","status"|"hang",...}]}: ${message}`,
          ),
        };
      }
      return { status: 200, body: ok(this.list()) };
    }
    return {
      status: 405,
      body: failure(
        ErrorCode.badRequest,
        `faults: ${method} is not supported; use GET, POST or DELETE`,
      ),
    };
  }
}

/**
 * Answers `request` as `rule` says, like the real API would refuse it: an error envelope with
 * Retry-After when set. A hang answers nothing and holds the connection until the client gives
 * up or the server closes.
 */
export function answerWithFault(
  rule: FaultRule,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
): void {
  // The body is not read: drained, so the connection stays usable.
  incoming.resume();
  if (rule.hang) return;
  const status = rule.status ?? 500;
  outgoing.writeHead(status, {
    "content-type": "application/json",
    ...(rule.retryAfter === undefined ? {} : { "retry-after": rule.retryAfter }),
  });
  // The pipeline reads the status and Retry-After, not the envelope's code.
  outgoing.end(
    JSON.stringify(
      failure(ErrorCode.internal, `local control plane: injected fault (HTTP ${status})`),
    ),
  );
}
