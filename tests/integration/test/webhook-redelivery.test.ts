import { beforeEach, describe, expect, it } from "vitest";
import { createApiKey } from "../harness/api-keys.js";
import { dbClient } from "../harness/db-client.js";
import { callGateway } from "../harness/gateway-client.js";
import { jobsCreatedSince } from "../harness/jobs.js";
import { pollUntil } from "../harness/poll.js";
import { queueFaults } from "../harness/queue-faults.js";
import { testSecrets } from "../harness/test-secrets.js";
import { useCluster } from "../harness/use-cluster.js";
import { genericSignature } from "../harness/webhook-signature.js";

// Queue sends go through the harness's queue-faults worker, so a test can take the queue down.
const cluster = useCluster({ queueFaults: true });

// Deliveries enter through the gateway, the cron sweep through webhooks; both read db.
const FLOW_TAGS = ["gateway", "webhooks", "db"];

// The webhooks worker's cron, as its wrangler.jsonc declares it.
const REDELIVERY_CRON = "*/5 * * * *";

beforeEach(async () => {
  // Sends a failed test left armed must not fail the next one.
  await (await queueFaults(cluster.mf)).failNextSends(0);
});

/** Sends a signed event, the same bytes each time, as a provider retrying a delivery would. */
function deliver(id: string) {
  const rawBody = JSON.stringify({ id, type: "push", data: { ref: "main" } });
  return callGateway(cluster.mf, "/v1/webhooks/generic", {
    method: "POST",
    body: rawBody,
    headers: genericSignature(rawBody, testSecrets.WEBHOOK_SECRET),
  });
}

async function fireCron() {
  const webhooks = await cluster.mf.getWorker("webhooks");
  return (await webhooks.scheduled({ cron: REDELIVERY_CRON })).outcome;
}

/** Moves the event's arrival ten minutes back: past the sweep's threshold. */
async function makeStuck(id: string): Promise<void> {
  const database = await cluster.database();
  await database
    .prepare(
      "UPDATE webhook_events SET received_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-10 minutes') WHERE source = 'generic' AND id = ?",
    )
    .bind(id)
    .run();
}

/** Every job created for this event, in creation order. */
async function jobsFor(id: string) {
  const database = await cluster.database();
  const db = await dbClient(cluster.mf);
  const ids = await jobsCreatedSince(database, []);
  const jobs = await Promise.all(ids.map((jobId) => db.getJob(jobId)));
  return jobs.filter(
    (job) => job?.type === "process_webhook" && (job.payload as { id: string }).id === id,
  );
}

/** Waits for the event to be processed; then checks exactly one job processed it. */
async function expectProcessedOnce(id: string) {
  const db = await dbClient(cluster.mf);
  const event = await pollUntil(
    `webhook event generic/${id} to be processed`,
    () => db.getWebhookEvent("generic", id),
    (record) => record?.state === "processed",
  );
  expect(event?.processedAt).toEqual(expect.any(String));
  const jobs = await pollUntil(
    `the jobs of generic/${id} to settle`,
    () => jobsFor(id),
    (found) => found.every((job) => job?.status === "completed" || job?.status === "failed"),
  );
  const processing = jobs.filter(
    (job) =>
      job?.status === "completed" &&
      !(job.result as { alreadyProcessed: boolean }).alreadyProcessed,
  );
  expect(processing).toHaveLength(1);
  return jobs;
}

describe("a webhook whose processing could not be enqueued", { tags: FLOW_TAGS }, () => {
  it("is stored, answered 503, and enqueued by the sender's retry; processed exactly once", async () => {
    const faults = await queueFaults(cluster.mf);
    await faults.failNextSends(1);

    const failed = await deliver("evt_retry");

    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ error: { code: "enqueue_failed" } });
    const db = await dbClient(cluster.mf);
    expect(await db.getWebhookEvent("generic", "evt_retry")).toMatchObject({
      state: "received",
      processedAt: null,
    });
    // The queue service recorded the job it could not send as failed, as it does in production.
    expect(await jobsFor("evt_retry")).toMatchObject([
      { status: "failed", error: "could not be queued" },
    ]);

    const retried = await deliver("evt_retry");

    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ received: true, id: "evt_retry" });
    const jobs = await expectProcessedOnce("evt_retry");
    expect(jobs.map((job) => job?.status)).toEqual(["failed", "completed"]);

    const replay = await deliver("evt_retry");
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ duplicate: true });
    expect(await jobsFor("evt_retry")).toHaveLength(2);
  });

  it("is enqueued by the cron once it has been stuck past the threshold; processed exactly once", async () => {
    const faults = await queueFaults(cluster.mf);
    await faults.failNextSends(1);
    expect((await deliver("evt_sweep")).status).toBe(503);

    // Too recent: the request that stored it may still be enqueuing.
    expect(await fireCron()).toBe("ok");
    const db = await dbClient(cluster.mf);
    expect((await db.getWebhookEvent("generic", "evt_sweep"))?.state).toBe("received");
    expect(await jobsFor("evt_sweep")).toHaveLength(1);

    await makeStuck("evt_sweep");
    expect(await fireCron()).toBe("ok");

    const jobs = await expectProcessedOnce("evt_sweep");
    expect(jobs.map((job) => job?.status)).toEqual(["failed", "completed"]);
    expect(await fireCron()).toBe("ok");
    expect(await jobsFor("evt_sweep")).toHaveLength(2);
    expect((await deliver("evt_sweep")).body).toMatchObject({ duplicate: true });
  });

  it("fails the cron while the queue is still down; a later run enqueues it", async () => {
    const faults = await queueFaults(cluster.mf);
    await faults.failNextSends(2);
    expect((await deliver("evt_outage")).status).toBe(503);
    await makeStuck("evt_outage");

    expect(await fireCron()).toBe("exception");
    const db = await dbClient(cluster.mf);
    expect((await db.getWebhookEvent("generic", "evt_outage"))?.state).toBe("received");

    expect(await fireCron()).toBe("ok");
    const jobs = await expectProcessedOnce("evt_outage");
    expect(jobs.map((job) => job?.status)).toEqual(["failed", "failed", "completed"]);
  });
});

describe("a webhook event's processing", { tags: FLOW_TAGS }, () => {
  it("is processed by one job only, however many jobs carry it", async () => {
    expect((await deliver("evt_twice")).status).toBe(202);
    const first = await expectProcessedOnce("evt_twice");
    const db = await dbClient(cluster.mf);
    const processedAt = (await db.getWebhookEvent("generic", "evt_twice"))?.processedAt;
    // A second job for the same event, as a concurrent retry and the sweep could both enqueue.
    const apiKey = (await createApiKey(cluster.mf, "second-job")).key;
    const extra = await callGateway(cluster.mf, "/v1/jobs", {
      method: "POST",
      token: apiKey,
      body: { type: "process_webhook", payload: { source: "generic", id: "evt_twice" } },
    });
    expect(extra.status).toBeLessThan(300);

    const jobs = await pollUntil(
      "the second job to complete",
      () => jobsFor("evt_twice"),
      (found) => found.length === first.length + 1 && found.at(-1)?.status === "completed",
    );
    expect(jobs.at(-1)?.result).toMatchObject({ processed: true, alreadyProcessed: true });
    await expectProcessedOnce("evt_twice");
    expect((await db.getWebhookEvent("generic", "evt_twice"))?.processedAt).toBe(processedAt);
  });
});
