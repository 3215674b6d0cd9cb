/**
 * The invocation statuses of Cloudflare's `workersInvocationsAdaptive` dataset that local
 * traffic can produce. `errors` counts the ones that are errors there: an exception the code
 * threw (or the runtime failing the request), never a 5xx response the code returned.
 */
export type InvocationStatus =
  | "success"
  | "clientDisconnected"
  | "scriptThrewException"
  | "internalError";

export const errorStatuses: ReadonlySet<InvocationStatus> = new Set([
  "scriptThrewException",
  "internalError",
]);

/** One request a worker's URL served (or one cron run), as the analytics datasets record it. */
export interface Invocation {
  scriptName: string;
  scriptVersion: string;
  /** What invoked it; a request when absent. */
  eventType?: "fetch" | "scheduled";
  /** The HTTP status the version answered (requests only; absent when none came back). */
  statusCode?: number;
  /** When the request arrived, in ms since the epoch. */
  datetime: number;
  /** From handing the request to the version until its response's last byte, in microseconds. */
  wallTimeUs: number;
  status: InvocationStatus;
}

/** The most recent invocations, in arrival order; the oldest are dropped beyond `limit`. */
export class InvocationLog {
  private readonly invocations: Invocation[] = [];

  constructor(private readonly limit = 100_000) {}

  record(invocation: Invocation): void {
    this.invocations.push(invocation);
    // Trimmed in batches, so a full log does not shift the whole array on every request.
    if (this.invocations.length > this.limit * 1.1) {
      this.invocations.splice(0, this.invocations.length - this.limit);
    }
  }

  select(predicate: (invocation: Invocation) => boolean): Invocation[] {
    return this.invocations.filter(predicate);
  }
}
