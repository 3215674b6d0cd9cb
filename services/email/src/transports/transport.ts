export interface OutgoingEmail {
  /** The outbox id; providers that support it use it as an idempotency key. */
  id: string;
  from: string;
  to: string;
  subject: string;
  body: string;
}

export interface Transport {
  readonly name: string;
  /** Resolves with the provider's message id, or throws when the provider did not accept it. */
  deliver(email: OutgoingEmail): Promise<string>;
}
