import { beforeAll, describe, expect, inject, it } from "vitest";
import { createApiKey } from "../harness/api-keys.js";
import { dbClient } from "../harness/db-client.js";
import { callGateway } from "../harness/gateway-client.js";
import { pollUntil } from "../harness/poll.js";
import { useCluster } from "../harness/use-cluster.js";

const cluster = useCluster();
let apiKey: string;

beforeAll(async () => {
  apiKey = (await createApiKey(cluster.mf, "retries")).key;
});

// The retry budget as deployed: the queue worker's consumer config in wrangler.jsonc.
const consumer = inject("workerSpecs").find((spec) => spec.name === "queue")?.config.queues
  .consumers[0];

describe("a job that keeps failing", { tags: ["gateway", "db"] }, () => {
  it("has a retry budget and a dead-letter queue configured", () => {
    expect(consumer?.max_retries).toBeGreaterThan(0);
    expect(consumer?.dead_letter_queue).toEqual(expect.any(String));
  });

  it("is retried until the budget is spent and stays failed with the reason", async () => {
    const maxRetries = consumer?.max_retries ?? 0;
    // Processing an event that was never received fails on every attempt.
    const response = await callGateway(cluster.mf, "/v1/jobs", {
      method: "POST",
      token: apiKey,
      body: { type: "process_webhook", payload: { source: "ghost", id: "evt_missing" } },
    });
    expect(response.status).toBeLessThan(300);
    const { id } = response.body as { id: string };
    const db = await dbClient(cluster.mf);

    const job = await pollUntil(
      `job ${id} to use up its ${maxRetries} retries`,
      () => db.getJob(id),
      (record) =>
        record !== null && record.attempts === maxRetries + 1 && record.status === "failed",
    );

    expect(job?.error).toContain("evt_missing");
  });
});
