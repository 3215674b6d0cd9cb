/** A delivery as it arrived, with what its source's configuration says about checking it. */
export interface SignedDelivery {
  /** The raw body as text: every scheme signs these exact characters. */
  body: string;
  headers: Headers;
  /** Any of them may have signed it: the current secret and, during a rotation, the previous. */
  secrets: readonly string[];
  /** How old a signature may be before the delivery counts as a replay. */
  toleranceSeconds: number;
}

/** What the stored event is keyed and labelled by. */
export interface DeliveryIdentity {
  /** The sender's own idempotency key: a redelivery of one event carries the same id. */
  id: string;
  type: string;
}

/** One sender's verification scheme, and where its deliveries keep their id and type. */
export interface Provider {
  /** Why the delivery is not authentic, or null when one of the secrets signed it in time. */
  authenticate(delivery: SignedDelivery): Promise<string | null>;
  /** The id and type, or a one-line reason they are missing; `payload` is the parsed body. */
  identify(payload: unknown, headers: Headers): DeliveryIdentity | string;
  /** What a valid signature looks like, for the 401 a sender gets. */
  signatureFormat: string;
}
