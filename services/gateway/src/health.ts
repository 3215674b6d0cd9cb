import { healthBody } from "@workers/http";
import type { Env } from "./env";

/** Binding name of every downstream service, keyed by service name. */
const DOWNSTREAM = {
  auth: "AUTH",
  db: "DB",
  queue: "QUEUE",
  email: "EMAIL",
  webhooks: "WEBHOOKS",
  mcp: "MCP",
  schedule: "SCHEDULE",
} as const satisfies Record<string, keyof Env>;

/** A hung downstream must not hang the health check that is meant to report it. */
const CHECK_TIMEOUT_MS = 3000;

export interface DownstreamHealth {
  status: "ok" | "down";
  version?: string;
  error?: string;
}

async function check(target: Fetcher): Promise<DownstreamHealth> {
  try {
    const res = await target.fetch("https://internal/health", {
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
    if (!res.ok) return { status: "down", error: `HTTP ${res.status}` };
    const body = await res.json<{ status?: unknown; version?: string }>();
    if (body.status !== "ok") return { status: "down", error: `reported ${String(body.status)}` };
    return { status: "ok", ...(body.version ? { version: body.version } : {}) };
  } catch (error) {
    return { status: "down", error: error instanceof Error ? error.message : String(error) };
  }
}

export async function aggregateHealth(env: Env) {
  const names = Object.keys(DOWNSTREAM) as (keyof typeof DOWNSTREAM)[];
  const results = await Promise.all(names.map((name) => check(env[DOWNSTREAM[name]])));
  const services = Object.fromEntries(names.map((name, i) => [name, results[i]]));
  const allOk = results.every((r) => r.status === "ok");
  return {
    body: healthBody("gateway", env.VERSION, allOk ? "ok" : "degraded", { services }),
    httpStatus: allOk ? 200 : 503,
  } as const;
}
