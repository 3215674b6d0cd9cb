import { describe, expect, it } from "vitest";
import { dbClient } from "../harness/db-client.js";
import { snapshotDatabase } from "../harness/db-snapshot.js";
import { callGateway } from "../harness/gateway-client.js";
import { jobsCreatedSince, listJobIds, waitForCompletedJobs } from "../harness/jobs.js";
import { pollUntil } from "../harness/poll.js";
import { testSecrets } from "../harness/test-secrets.js";
import { useCluster } from "../harness/use-cluster.js";
import { signWebhook } from "../harness/webhook-signature.js";

const cluster = useCluster();

function eventBody(id: string): string {
  return JSON.stringify({ id, type: "push", data: { ref: "main" } });
}

function postWebhook(source: string, rawBody: string, signature: string | undefined) {
  return callGateway(cluster.mf, `/v1/webhooks/${source}`, {
    method: "POST",
    body: rawBody,
    headers: signature === undefined ? {} : { "x-signature": signature },
  });
}

/** Sends a correctly signed event and waits until the queue consumer has processed it. */
async function deliverAndProcess(source: string, id: string) {
  const db = await dbClient(cluster.mf);
  const jobsBefore = await listJobIds(await cluster.database());
  const rawBody = eventBody(id);

  const response = await postWebhook(
    source,
    rawBody,
    signWebhook(rawBody, testSecrets.WEBHOOK_SECRET),
  );

  const jobs = await jobsCreatedSince(await cluster.database(), jobsBefore);
  const completed = await waitForCompletedJobs(db, jobs);
  const event = await pollUntil(
    `webhook event ${source}/${id} to be marked processed`,
    () => db.getWebhookEvent(source, id),
    (record) => record !== null && record.processedAt !== null,
  );
  return { response, jobs: completed, event };
}

describe("signed webhooks through the gateway", { tags: ["gateway", "db"] }, () => {
  it("stores the event once and processes it through the queue", async () => {
    const { response, jobs, event } = await deliverAndProcess("github", "evt_1001");

    expect(response.status).toBeLessThan(300);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      type: "process_webhook",
      payload: { source: "github", id: "evt_1001" },
    });
    expect(event).toMatchObject({ source: "github", id: "evt_1001" });
    expect(event?.payload).toEqual(JSON.parse(eventBody("evt_1001")));
    expect(event?.processedAt).toEqual(expect.any(String));
  });

  it("treats a replay of the same event as a no-op", async () => {
    await deliverAndProcess("stripe", "evt_2002");
    const database = await cluster.database();
    const before = await snapshotDatabase(database);
    const rawBody = eventBody("evt_2002");

    const replay = await postWebhook(
      "stripe",
      rawBody,
      signWebhook(rawBody, testSecrets.WEBHOOK_SECRET),
    );

    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ duplicate: true });
    expect(await snapshotDatabase(database)).toEqual(before);
  });

  const forged = eventBody("evt_forged");
  it.each([
    ["a signature made with another secret", signWebhook(forged, "wrong-secret")],
    [
      "a signature of a different body",
      signWebhook(eventBody("evt_other"), testSecrets.WEBHOOK_SECRET),
    ],
    ["a malformed signature header", "md5=abc"],
    ["no signature", undefined],
  ])("rejects %s with 401 and stores nothing", async (_case, signature) => {
    const database = await cluster.database();
    const before = await snapshotDatabase(database);

    const response = await postWebhook("github", forged, signature);

    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: { code: expect.any(String) } });
    expect(await snapshotDatabase(database)).toEqual(before);
  });
});
