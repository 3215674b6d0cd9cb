import { beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../harness/api-keys.js";
import { snapshotDatabase } from "../harness/db-snapshot.js";
import { callGateway } from "../harness/gateway-client.js";
import { testSecrets } from "../harness/test-secrets.js";
import { useCluster } from "../harness/use-cluster.js";

const cluster = useCluster();
let apiKey: string;

beforeAll(async () => {
  apiKey = (await createApiKey(cluster.mf, "bad-input")).key;
});

// Four times the gateway's 64 KiB limit. Much larger bodies make workerd reset the connection
// while the client is still writing (the 413 is sent before the body is read), which a test
// cannot observe as a status.
const OVERSIZED = JSON.stringify({ type: "noop", payload: { blob: "x".repeat(256 * 1024) } });

interface BadRequest {
  name: string;
  method: "GET" | "POST";
  path: string;
  caller: "client" | "admin" | "anonymous";
  body?: unknown;
  status: number;
  /** A word the error message must contain, e.g. one of the valid choices. */
  mentions?: string;
}

const cases: BadRequest[] = [
  {
    name: "malformed JSON job",
    method: "POST",
    path: "/v1/jobs",
    caller: "client",
    body: "{not json",
    status: 400,
  },
  {
    name: "malformed JSON email",
    method: "POST",
    path: "/v1/emails",
    caller: "client",
    body: "[1,",
    status: 400,
  },
  {
    name: "malformed JSON key request",
    method: "POST",
    path: "/v1/keys",
    caller: "admin",
    body: "{",
    status: 400,
  },
  {
    name: "job without a type",
    method: "POST",
    path: "/v1/jobs",
    caller: "client",
    body: { payload: {} },
    status: 400,
    mentions: "type",
  },
  {
    name: "job of an unknown type",
    method: "POST",
    path: "/v1/jobs",
    caller: "client",
    body: { type: "format_disk", payload: {} },
    status: 400,
    mentions: "noop",
  },
  {
    name: "key request without a name",
    method: "POST",
    path: "/v1/keys",
    caller: "admin",
    body: {},
    status: 400,
    mentions: "name",
  },
  {
    name: "email without a template",
    method: "POST",
    path: "/v1/emails",
    caller: "client",
    body: { to: "a@example.com" },
    status: 400,
    mentions: "template",
  },
  {
    name: "unknown route under /v1",
    method: "GET",
    path: "/v1/no-such-thing",
    caller: "client",
    status: 404,
  },
  {
    name: "unknown top-level route",
    method: "GET",
    path: "/no-such-thing",
    caller: "anonymous",
    status: 404,
  },
  {
    name: "oversized job",
    method: "POST",
    path: "/v1/jobs",
    caller: "client",
    body: OVERSIZED,
    status: 413,
  },
  {
    name: "oversized webhook",
    method: "POST",
    path: "/v1/webhooks/github",
    caller: "anonymous",
    body: OVERSIZED,
    status: 413,
  },
];

function tokenFor(caller: BadRequest["caller"]): string | undefined {
  if (caller === "client") return apiKey;
  if (caller === "admin") return testSecrets.ADMIN_TOKEN;
  return undefined;
}

describe("bad input through the gateway", { tags: ["gateway"] }, () => {
  it.each(cases)("$name: $status JSON error, nothing changed", async (bad) => {
    const db = await cluster.database();
    const before = await snapshotDatabase(db);
    const token = tokenFor(bad.caller);

    const response = await callGateway(cluster.mf, bad.path, {
      method: bad.method,
      ...(token !== undefined && { token }),
      ...(bad.body !== undefined && { body: bad.body }),
    });

    expect(response.status).toBe(bad.status);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(response.body).toMatchObject({
      error: { code: expect.any(String), message: expect.any(String) },
    });
    const { message } = (response.body as { error: { message: string } }).error;
    if (bad.mentions) expect(message).toContain(bad.mentions);
    expect(await snapshotDatabase(db)).toEqual(before);
  });
});
