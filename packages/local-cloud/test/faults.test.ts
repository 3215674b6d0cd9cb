import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  faultsPath,
  type LocalCloudServer,
  restartPath,
  startLocalCloudServer,
} from "../src/index.js";

/**
 * Fault injection over the admin route, as a test of the pipeline drives it against the
 * detached control plane: chosen routes answer 429 or 5xx or hang, a chosen number of times.
 */

let dataDir: string;
let server: LocalCloudServer;
let restarts = 0;
let restarted: () => void = () => {};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "local-cloud-faults-"));
  server = await startLocalCloudServer({
    dataDir,
    log: () => {},
    onRestart: () => {
      restarts += 1;
      restarted();
    },
  });
});

afterEach(async () => {
  await admin("DELETE");
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function admin(method: string, body?: unknown): Promise<Response> {
  const origin = new URL(server.apiBaseUrl).origin;
  return fetch(`${origin}${faultsPath}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

function deployments(method = "GET", signal?: AbortSignal): Promise<Response> {
  return fetch(
    `${server.apiBaseUrl}/accounts/${server.accountId}/workers/scripts/faulty/deployments`,
    {
      method,
      headers: { authorization: "Bearer local-cloud-token", "content-type": "application/json" },
      ...(method === "POST"
        ? { body: JSON.stringify({ strategy: "percentage", versions: [] }) }
        : {}),
      ...(signal ? { signal } : {}),
    },
  );
}

describe("fault injection", () => {
  it("answers 429 with Retry-After for the number of requests asked, then the real answer", async () => {
    const added = await admin("POST", {
      rules: [{ method: "GET", path: "/deployments$", status: 429, retryAfter: "2", times: 1 }],
    });
    expect(added.status).toBe(200);
    const limited = await deployments();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(((await limited.json()) as { success: boolean }).success).toBe(false);
    // The real answer: this worker does not exist.
    const real = await deployments();
    expect(real.status).toBe(404);
    expect(await (await admin("GET")).json()).toMatchObject({ result: [] });
  });

  it("answers 500 only for the method given", async () => {
    await admin("POST", { rules: [{ method: "POST", path: "/deployments$", status: 500 }] });
    expect((await deployments("POST")).status).toBe(500);
    expect((await deployments("POST")).status).toBe(500);
    expect((await deployments("GET")).status).toBe(404);
  });

  it("hangs a route: the request gets no answer until the client gives up", async () => {
    await admin("POST", { rules: [{ path: "/deployments$", hang: true, times: 1 }] });
    const controller = new AbortController();
    const pending = deployments("GET", controller.signal);
    // The rule is used up once the request reached the server: then give up on it.
    while (((await (await admin("GET")).json()) as { result: unknown[] }).result.length > 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    controller.abort(new Error("gave up"));
    await expect(pending).rejects.toThrow("gave up");
    expect((await deployments()).status).toBe(404);
  });

  it("refuses a rule without a status or hang, and a path that is not a regular expression", async () => {
    const noStatus = await admin("POST", { rules: [{ path: "/deployments$" }] });
    expect(noStatus.status).toBe(400);
    expect(JSON.stringify(await noStatus.json())).toContain("give a status");
    const badPath = await admin("POST", { rules: [{ path: "(", status: 500 }] });
    expect(badPath.status).toBe(400);
    expect((await admin("PUT")).status).toBe(405);
  });

  it("asks its owner to restart it, after answering", async () => {
    const done = new Promise<void>((resolve) => {
      restarted = resolve;
    });
    const origin = new URL(server.apiBaseUrl).origin;
    const answer = await fetch(`${origin}${restartPath}`, { method: "POST" });
    expect(answer.status).toBe(202);
    await done;
    expect(restarts).toBe(1);
  });
});
