// Stand-in for the db service's webhook-event RPC contract: stores each (source, id) once, like
// the real table's primary key, and lets tests read back what was stored.
import { WorkerEntrypoint } from "cloudflare:workers";

let events = new Map();

export default class FakeDb extends WorkerEntrypoint {
  async recordWebhookEvent({ id, source, payload }) {
    const key = `${source}:${id}`;
    if (events.has(key)) return { inserted: false };
    events.set(key, { id, source, payload });
    return { inserted: true };
  }

  async storedEvents() {
    return [...events.values()];
  }

  async reset() {
    events = new Map();
  }
}
