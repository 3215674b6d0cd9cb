import type { Clock } from "./ports.js";

/**
 * A run is interrupted through the AbortSignal in its DeployContext: the host aborts it on the
 * first SIGINT or SIGTERM with the signal's name as the reason; another engine aborts it as far
 * as it passes cancellation on. From then on the run starts no deploy, lets the calls in flight
 * end, and rolls back everything it changed.
 */
export interface Interruption {
  /** What interrupted the run, e.g. "SIGTERM". */
  by: string;
  /** What the run was doing at that moment, e.g. "wave 2/5 (auth, email)" or "the rollback". */
  during: string;
}

/** Remembers whether and when `signal` fired, and what the run was doing then. */
export class InterruptWatch {
  private phase: string;
  private seen: Interruption | undefined;
  private seenAt: number | undefined;

  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly clock: Clock,
    phase: string,
  ) {
    this.phase = phase;
    if (signal?.aborted) this.record();
    else signal?.addEventListener("abort", () => this.record(), { once: true });
  }

  /** Names what the run does from now on, for the report's interruption line. */
  enter(phase: string): void {
    this.phase = phase;
  }

  get interrupted(): Interruption | undefined {
    return this.seen;
  }

  /** When the interruption came (the clock's time), if it did. */
  get at(): number | undefined {
    return this.seenAt;
  }

  private record(): void {
    const reason: unknown = this.signal?.reason;
    this.seen = { by: typeof reason === "string" ? reason : "an interrupt", during: this.phase };
    this.seenAt = this.clock.now();
  }
}
