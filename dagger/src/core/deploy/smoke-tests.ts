import * as z from "zod";
import type { HttpClient } from "./ports.js";

/**
 * `services/<name>/smoke.json`: requests run against a freshly deployed Worker. They must be
 * safe to repeat against production (no writes that matter) and need no secrets.
 */
const smokeTestSchema = z
  .object({
    name: z.string().min(1),
    method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
    path: z.string().startsWith("/", "expected a path starting with /"),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.unknown().optional(),
    expectStatus: z.number().int().min(100).max(599),
    /** A partial match: every key given must be present with an equal (or partially equal) value. */
    expectJson: z.unknown().optional(),
    /** Header names are matched case-insensitively, values exactly. */
    expectHeaders: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const smokeTestFileSchema = z.array(smokeTestSchema);

export type SmokeTest = z.infer<typeof smokeTestSchema>;

export class SmokeTestFileError extends Error {
  constructor(path: string, detail: string) {
    super(`${path}: ${detail}`);
    this.name = "SmokeTestFileError";
  }
}

export function parseSmokeTests(path: string, text: string): SmokeTest[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SmokeTestFileError(path, `invalid JSON (${(error as Error).message})`);
  }
  const parsed = smokeTestFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "(root)";
    throw new SmokeTestFileError(path, `${where}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

export interface SmokeResult {
  name: string;
  ok: boolean;
  durationMs: number;
  /** Why it failed; absent when it passed. */
  failure?: string;
}

const SMOKE_REQUEST_TIMEOUT_MS = 10_000;

export async function runSmokeTest(
  http: HttpClient,
  baseUrl: string,
  test: SmokeTest,
  now: () => number,
): Promise<SmokeResult> {
  const started = now();
  const headers: Record<string, string> = { ...test.headers };
  let body: string | undefined;
  if (test.body !== undefined) {
    body = typeof test.body === "string" ? test.body : JSON.stringify(test.body);
    headers["content-type"] ??= "application/json";
  }
  const finish = (failure?: string): SmokeResult => ({
    name: test.name,
    ok: failure === undefined,
    durationMs: now() - started,
    ...(failure === undefined ? {} : { failure }),
  });
  let response: Awaited<ReturnType<HttpClient["request"]>>;
  try {
    response = await http.request({
      method: test.method,
      url: joinUrl(baseUrl, test.path),
      headers,
      ...(body === undefined ? {} : { body }),
      timeoutMs: SMOKE_REQUEST_TIMEOUT_MS,
    });
  } catch (error) {
    return finish(`${test.method} ${test.path}: ${(error as Error).message}`);
  }
  if (response.status !== test.expectStatus) {
    // The start of the body says why (an error's JSON), which the status alone does not.
    const said = response.body.replace(/\s+/g, " ").trim().slice(0, 160);
    return finish(
      `${test.method} ${test.path}: expected status ${test.expectStatus}, got ${response.status}${said ? `: ${said}` : ""}`,
    );
  }
  for (const [name, expected] of Object.entries(test.expectHeaders ?? {})) {
    const actual = response.headers[name.toLowerCase()];
    if (actual !== expected) {
      return finish(
        `header ${name}: expected "${expected}", got ${JSON.stringify(actual ?? null)}`,
      );
    }
  }
  if (test.expectJson !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(response.body);
    } catch {
      return finish(`expected a JSON body, got ${JSON.stringify(response.body.slice(0, 120))}`);
    }
    const mismatch = findMismatch(test.expectJson, json, "$");
    if (mismatch) {
      return finish(`body ${mismatch}`);
    }
  }
  return finish();
}

export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${path}`;
}

/** The first place where `actual` does not contain `expected`, or undefined if it does. */
export function findMismatch(expected: unknown, actual: unknown, at: string): string | undefined {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return `${at}: expected an array of ${expected.length}, got ${JSON.stringify(actual)}`;
    }
    for (const [index, item] of expected.entries()) {
      const mismatch = findMismatch(item, actual[index], `${at}[${index}]`);
      if (mismatch) return mismatch;
    }
    return undefined;
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
      return `${at}: expected an object, got ${JSON.stringify(actual)}`;
    }
    for (const [key, value] of Object.entries(expected)) {
      const mismatch = findMismatch(
        value,
        (actual as Record<string, unknown>)[key],
        `${at}.${key}`,
      );
      if (mismatch) return mismatch;
    }
    return undefined;
  }
  return Object.is(expected, actual)
    ? undefined
    : `${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}
