import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { dbClient } from "../harness/db-client.js";
import { snapshotDatabase } from "../harness/db-snapshot.js";
import { callGateway } from "../harness/gateway-client.js";
import { jobsCreatedSince, listJobIds, waitForCompletedJobs } from "../harness/jobs.js";
import { pollUntil } from "../harness/poll.js";
import { testSecrets } from "../harness/test-secrets.js";
import { useCluster } from "../harness/use-cluster.js";
import { SENDERS, type Sender, type SignedDelivery } from "../harness/webhook-senders.js";
import { genericSignature } from "../harness/webhook-signature.js";

const cluster = useCluster();

const SECRET_OF: Record<Sender["source"], string> = {
  github: testSecrets.GITHUB_WEBHOOK_SECRET,
  stripe: testSecrets.STRIPE_WEBHOOK_SECRET,
  standard: testSecrets.STANDARD_WEBHOOK_SECRET,
};
const TEN_MINUTES_AGO = () => new Date(Date.now() - 10 * 60_000);

function post(source: string, body: string, headers: Record<string, string>) {
  return callGateway(cluster.mf, `/v1/webhooks/${source}`, { method: "POST", body, headers });
}

/** Sends the delivery and waits until the queue consumer has processed what it stored. */
async function deliverAndProcess(source: string, delivery: SignedDelivery) {
  const db = await dbClient(cluster.mf);
  const jobsBefore = await listJobIds(await cluster.database());
  const response = await post(source, delivery.body, delivery.headers);
  const jobs = await jobsCreatedSince(await cluster.database(), jobsBefore);
  const completed = await waitForCompletedJobs(db, jobs);
  const event = await pollUntil(
    `webhook event ${source}/${delivery.id} to be marked processed`,
    () => db.getWebhookEvent(source, delivery.id),
    (record) => record !== null && record.processedAt !== null,
  );
  return { response, jobs: completed, event };
}

/** Sends the request and checks that the database is exactly as it was. */
async function expectNothingStored(send: () => ReturnType<typeof post>) {
  const database = await cluster.database();
  const before = await snapshotDatabase(database);
  const response = await send();
  expect(await snapshotDatabase(database)).toEqual(before);
  return response;
}

describe.each(SENDERS)(
  "$source deliveries signed by the sender's own library, through the gateway",
  { tags: ["gateway", "db"] },
  (sender) => {
    const secret = SECRET_OF[sender.source];
    const newDelivery = (options: { secret?: string; signedAt?: Date } = {}) =>
      sender.deliver({ id: `${sender.source}-${randomUUID()}`, secret, ...options });

    it("stores a valid delivery as received and processes it through the queue once", async () => {
      const delivery = await newDelivery();

      const { response, jobs, event } = await deliverAndProcess(sender.source, delivery);

      expect(response.status).toBe(202);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]).toMatchObject({
        type: "process_webhook",
        payload: { source: sender.source, id: delivery.id },
      });
      expect(event).toMatchObject({
        source: sender.source,
        id: delivery.id,
        provider: sender.provider,
        eventType: delivery.type,
        payload: JSON.parse(delivery.body),
      });
      const raw = await (await cluster.database())
        .prepare("SELECT payload FROM webhook_events WHERE source = ? AND id = ?")
        .bind(sender.source, delivery.id)
        .first<string>("payload");
      expect(raw).toBe(delivery.body);
    });

    it("takes the same delivery id twice exactly once", async () => {
      const delivery = await newDelivery();
      await deliverAndProcess(sender.source, delivery);

      const again = await expectNothingStored(() =>
        post(sender.source, delivery.body, delivery.headers),
      );

      expect(again.status).toBe(200);
      expect(again.body).toEqual({ duplicate: true, source: sender.source, id: delivery.id });
    });

    it("refuses a tampered body with 401 and stores nothing", async () => {
      const delivery = await newDelivery();
      const tampered = delivery.body.replace("{", '{"admin":true,');

      const response = await expectNothingStored(() =>
        post(sender.source, tampered, delivery.headers),
      );

      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ error: { code: "invalid_signature" } });
    });

    it("refuses a delivery signed with another secret with 401 and stores nothing", async () => {
      const other = sender.source === "standard" ? "whsec_b3RoZXIta2V5LW9mLWJ5dGVz" : "other";
      const delivery = await newDelivery({ secret: other });

      const response = await expectNothingStored(() =>
        post(sender.source, delivery.body, delivery.headers),
      );

      expect(response.status).toBe(401);
    });
  },
);

// GitHub signs no timestamp: its replays are caught by the delivery id alone (above).
describe.each(SENDERS.filter((sender) => sender.timestamped))(
  "$source replays",
  { tags: ["gateway", "db"] },
  (sender) => {
    it("refuses a delivery signed ten minutes ago, even under a new id", async () => {
      const delivery = await sender.deliver({
        id: `${sender.source}-${randomUUID()}`,
        secret: SECRET_OF[sender.source],
        signedAt: TEN_MINUTES_AGO(),
      });

      const response = await expectNothingStored(() =>
        post(sender.source, delivery.body, delivery.headers),
      );

      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({
        error: { code: "invalid_signature", message: expect.stringMatching(/tolerance|too old/i) },
      });
    });
  },
);

describe("secret rotation", { tags: ["gateway", "db"] }, () => {
  it("accepts a GitHub delivery signed with the secret being rotated out", async () => {
    const delivery = await SENDERS[0].deliver({
      id: `github-${randomUUID()}`,
      secret: testSecrets.GITHUB_WEBHOOK_SECRET_PREVIOUS,
    });

    const { response, event } = await deliverAndProcess("github", delivery);

    expect(response.status).toBe(202);
    expect(event?.provider).toBe("github");
  });
});

describe("our own generic scheme", { tags: ["gateway", "db"] }, () => {
  const body = (id: string) => JSON.stringify({ id, type: "push", data: { ref: "main" } });

  it("stores a signed event and processes it", async () => {
    const id = `evt-${randomUUID()}`;
    const delivery = {
      id,
      type: "push",
      body: body(id),
      headers: genericSignature(body(id), testSecrets.WEBHOOK_SECRET),
    };

    const { response, event } = await deliverAndProcess("generic", delivery);

    expect(response.status).toBe(202);
    expect(event).toMatchObject({ provider: "generic", eventType: "push" });
  });

  it("refuses a captured delivery sent again after the tolerance, even under a new id", async () => {
    const id = `evt-${randomUUID()}`;
    const headers = genericSignature(body(id), testSecrets.WEBHOOK_SECRET, TEN_MINUTES_AGO());

    const response = await expectNothingStored(() => post("generic", body(id), headers));

    expect(response.status).toBe(401);
  });

  it("refuses a source that is not configured with 404", async () => {
    const response = await expectNothingStored(() => post("gitlab", body("evt-x"), {}));

    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ error: { code: "unknown_source" } });
  });
});
