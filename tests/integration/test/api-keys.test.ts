import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createApiKey } from "../harness/api-keys.js";
import { dbClient } from "../harness/db-client.js";
import { snapshotDatabase } from "../harness/db-snapshot.js";
import { callGateway } from "../harness/gateway-client.js";
import { waitForCompletedJobs } from "../harness/jobs.js";
import { testSecrets } from "../harness/test-secrets.js";
import { useCluster } from "../harness/use-cluster.js";

const cluster = useCluster();

describe("API keys through the gateway", { tags: ["gateway", "db"] }, () => {
  it("creates a key with the admin token and stores only its hash", async () => {
    const created = await createApiKey(cluster.mf, "ci");

    expect(created.key.startsWith(created.prefix)).toBe(true);
    const { results } = await (await cluster.database())
      .prepare("SELECT * FROM api_keys WHERE id = ?")
      .bind(created.id)
      .all<Record<string, unknown>>();
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ name: "ci", prefix: created.prefix });
    expect(Object.values(results[0] ?? {})).not.toContain(created.key);
    expect(results[0]?.hash).toBe(createHash("sha256").update(created.key).digest("hex"));
  });

  it("lets a request with the key through to the services", async () => {
    const { key } = await createApiKey(cluster.mf, "client");

    const enqueued = await callGateway(cluster.mf, "/v1/jobs", {
      method: "POST",
      token: key,
      body: { type: "noop", payload: { from: "api-keys test" } },
    });
    expect(enqueued.status).toBeLessThan(300);
    const { id } = enqueued.body as { id: string };

    const fetched = await callGateway(cluster.mf, `/v1/jobs/${id}`, { token: key });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ id, type: "noop" });
    const [job] = await waitForCompletedJobs(await dbClient(cluster.mf), [id]);
    expect(job?.payload).toEqual({ from: "api-keys test" });
  });

  it.each([
    ["no Authorization header", undefined],
    ["an unknown key", "sk_unknown_0000000000000000"],
    ["the admin token, which is not an API key", testSecrets.ADMIN_TOKEN],
  ])("answers 401 JSON and stores nothing for %s", async (_case, token) => {
    const db = await cluster.database();
    const before = await snapshotDatabase(db);

    const response = await callGateway(cluster.mf, "/v1/jobs", {
      method: "POST",
      ...(token !== undefined && { token }),
      body: { type: "noop", payload: {} },
    });

    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: { code: expect.any(String) } });
    expect(await snapshotDatabase(db)).toEqual(before);
  });

  it.each([
    ["no token", undefined],
    ["a wrong admin token", "not-the-admin-token"],
  ])("refuses to create a key with %s", async (_case, token) => {
    const db = await cluster.database();
    const before = await snapshotDatabase(db);

    const response = await callGateway(cluster.mf, "/v1/keys", {
      method: "POST",
      ...(token !== undefined && { token }),
      body: { name: "intruder" },
    });

    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: { code: expect.any(String) } });
    expect(await snapshotDatabase(db)).toEqual(before);
  });
});
