import { env } from "cloudflare:workers";

/** Test-only methods of test/fakes/service.js, reached through the gateway's real bindings. */
export interface FakeControls {
  recordedCalls(): Promise<[string, unknown][]>;
  setHealth(mode: "ok" | "degraded" | "error" | "throw"): Promise<void>;
  reset(): Promise<void>;
}

export const DOWNSTREAM_BINDINGS = [
  "AUTH",
  "DB",
  "QUEUE",
  "EMAIL",
  "WEBHOOKS",
  "MCP",
  "SCHEDULE",
] as const;

export function fake(binding: (typeof DOWNSTREAM_BINDINGS)[number]): FakeControls {
  return env[binding] as unknown as FakeControls;
}

export async function resetFakes(): Promise<void> {
  await Promise.all(DOWNSTREAM_BINDINGS.map((b) => fake(b).reset()));
}

/** Every call any downstream received, in one list per binding with a call. */
export async function allCalls(): Promise<Record<string, [string, unknown][]>> {
  const entries = await Promise.all(
    DOWNSTREAM_BINDINGS.map(async (b) => [b, await fake(b).recordedCalls()] as const),
  );
  return Object.fromEntries(entries.filter(([, calls]) => calls.length > 0));
}

export const VALID_KEY = `wk_${"a".repeat(64)}`;
export const ADMIN_TOKEN = "test-admin-token";
