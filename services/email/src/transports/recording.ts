import type { OutgoingEmail, Transport } from "./transport";

/** Local dev and tests: accepts everything, keeps what it saw, sends nothing. */
export class RecordingTransport implements Transport {
  readonly name = "recording";
  readonly delivered: OutgoingEmail[] = [];

  async deliver(email: OutgoingEmail): Promise<string> {
    this.delivered.push(email);
    // Derived from the outbox id so a test can predict it.
    return `recorded-${email.id}`;
  }
}
