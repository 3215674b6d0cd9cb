// Stand-in for the email service's RPC contract: records what it is asked to send and rejects
// unknown templates the way the real service does.
import { WorkerEntrypoint } from "cloudflare:workers";

const TEMPLATES = ["welcome", "job-completed", "webhook-received"];
let sent = [];

export default class FakeEmail extends WorkerEntrypoint {
  async send(message) {
    if (!TEMPLATES.includes(message.template)) {
      throw new Error(`unknown template "${message.template}"; valid: ${TEMPLATES.join(", ")}`);
    }
    sent.push(message);
    return { id: `email-${sent.length}`, status: "sent" };
  }

  async sentEmails() {
    return sent;
  }

  async reset() {
    sent = [];
  }
}
