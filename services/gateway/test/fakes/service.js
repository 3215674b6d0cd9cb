// One stand-in for every downstream worker (its name comes from the SERVICE_NAME binding). It
// implements the RPC contracts the gateway calls, answers /health in a mode tests can switch,
// echoes any other HTTP request so forwarding can be inspected, and records every call.
import { WorkerEntrypoint } from "cloudflare:workers";

const VALID_KEY = `wk_${"a".repeat(64)}`;
let state = { calls: [], health: "ok" };

function clientError(code, message) {
  return Object.assign(new Error(message), { code, status: 400 });
}

export default class FakeService extends WorkerEntrypoint {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return this.health();
    const headers = Object.fromEntries(request.headers);
    const body = await request.text();
    state.calls.push(["fetch", { method: request.method, path: url.pathname, headers, body }]);
    return Response.json({ echoedBy: this.env.SERVICE_NAME, path: url.pathname, body });
  }

  health() {
    const service = this.env.SERVICE_NAME;
    if (state.health === "throw") throw new Error(`${service} crashed`);
    if (state.health === "error") return new Response("boom", { status: 500 });
    const status = state.health === "degraded" ? "degraded" : "ok";
    return Response.json({ service, version: `${service}-v1`, status });
  }

  async verifyApiKey(key) {
    state.calls.push(["verifyApiKey", key]);
    return key === VALID_KEY ? { valid: true, keyId: "key-1", name: "test" } : { valid: false };
  }

  async createApiKey(input) {
    state.calls.push(["createApiKey", input]);
    return { id: "key-2", key: `wk_${"b".repeat(64)}`, prefix: "wk_bbbbbbbb" };
  }

  async enqueue(job) {
    // Lets a test see how the gateway answers an unexpected downstream failure.
    if (job.payload?.simulateOutage) throw new Error("queue storage unavailable");
    // Like the real queue, which checks a send_email payload against email's schema.
    if (job.type === "send_email" && !job.payload?.to) {
      throw clientError("invalid_input", "invalid input: payload.to: Invalid input");
    }
    state.calls.push(["enqueue", job]);
    return { id: "job-1" };
  }

  async getJob(id) {
    state.calls.push(["getJob", id]);
    return id === "job-1" ? { id, type: "noop", status: "queued", attempts: 0 } : null;
  }

  async send(message) {
    state.calls.push(["send", message]);
    return { id: "email-1", status: "sent" };
  }

  async recordedCalls() {
    return state.calls;
  }

  async setHealth(mode) {
    state.health = mode;
  }

  async reset() {
    state = { calls: [], health: "ok" };
  }
}
