import { beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../harness/api-keys.js";
import { dbClient } from "../harness/db-client.js";
import { snapshotDatabase } from "../harness/db-snapshot.js";
import { callGateway } from "../harness/gateway-client.js";
import { useCluster } from "../harness/use-cluster.js";

const cluster = useCluster();
let apiKey: string;

beforeAll(async () => {
  apiKey = (await createApiKey(cluster.mf, "mailer")).key;
});

describe("email through the gateway", { tags: ["gateway", "db"] }, () => {
  it("renders the template, records it in the outbox and marks it sent", async () => {
    const response = await callGateway(cluster.mf, "/v1/emails", {
      method: "POST",
      token: apiKey,
      body: { to: "alice@example.com", template: "welcome", data: { name: "Alice" } },
    });

    expect(response.status).toBeLessThan(300);
    expect(response.body).toMatchObject({ id: expect.any(String), status: "sent" });
    const { id } = response.body as { id: string };
    const outbox = await (await dbClient(cluster.mf)).listOutbox({ to: "alice@example.com" });
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ id, to: "alice@example.com", template: "welcome" });
    expect(`${outbox[0]?.subject}\n${outbox[0]?.body}`).toContain("Alice");
    expect(outbox[0]?.status).toBe("sent");
    expect(outbox[0]?.providerMessageId).toEqual(expect.any(String));
  });

  it.each([
    ["an unknown template", { to: "bob@example.com", template: "no-such-template", data: {} }],
    ["an invalid recipient", { to: "not-an-address", template: "welcome", data: {} }],
    ["a missing recipient", { template: "welcome", data: {} }],
  ])("rejects %s with a 400 JSON error and records nothing", async (_case, body) => {
    const db = await cluster.database();
    const before = await snapshotDatabase(db);

    const response = await callGateway(cluster.mf, "/v1/emails", {
      method: "POST",
      token: apiKey,
      body,
    });

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: expect.any(String) } });
    expect(await snapshotDatabase(db)).toEqual(before);
  });
});
