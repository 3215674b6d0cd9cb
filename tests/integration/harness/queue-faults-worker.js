// Test-only: stands in for queue producer bindings when a test file asks for
// useCluster({ queueFaults: true }). It passes every send on to the real queue named by its
// binding's props, except the sends it was told to fail: the outage a real queue can have and
// a test cannot otherwise cause. Nothing outside tests/integration references it.
import { WorkerEntrypoint } from "cloudflare:workers";

let failuresLeft = 0;

export default class QueueFaults extends WorkerEntrypoint {
  /** The next `count` sends (or batches) throw, as a queue that is down does. */
  async failNextSends(count) {
    failuresLeft = count;
  }

  async send(body, options) {
    this.#failIfAsked();
    return this.#queue().send(body, options);
  }

  async sendBatch(messages, options) {
    this.#failIfAsked();
    return this.#queue().sendBatch(messages, options);
  }

  #queue() {
    return this.env[this.ctx.props.queue];
  }

  #failIfAsked() {
    if (failuresLeft === 0) return;
    failuresLeft -= 1;
    throw new Error("queue unavailable (failure injected by the integration harness)");
  }
}
