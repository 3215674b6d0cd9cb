import type { DeploymentRecord } from "../storage/state-types.js";

/**
 * mulberry32: a 32-bit seeded generator, uniform in [0, 1). Statistically plenty for choosing
 * between two versions, and the same seed gives the same sequence, which makes a split's
 * counts reproducible in tests.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a: a stable 32-bit number for a worker name, to give each worker its own stream. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    value ^= text.charCodeAt(i);
    value = Math.imul(value, 0x01000193);
  }
  return value >>> 0;
}

/**
 * Chooses the version each request to a worker goes to. Like Cloudflare's gradual deployments,
 * every request is routed independently at random by the deployment's percentages (not round
 * robin: a client's consecutive requests can land on either version, which is the version skew
 * a canary has to survive). Each worker draws from its own stream, restarted by every new
 * deployment, so with a fixed seed the n-th request after a deployment always lands the same
 * way, whatever traffic other workers get.
 */
export class TrafficSplitter {
  private readonly streams = new Map<string, { deploymentId: string; next: () => number }>();

  constructor(private readonly seed: number) {}

  /** `override` is a version the request asked for; it wins when the deployment has it. */
  choose(workerName: string, deployment: DeploymentRecord, override?: string): string {
    if (override !== undefined && deployment.versions.some((v) => v.version_id === override)) {
      return override;
    }
    let stream = this.streams.get(workerName);
    if (stream?.deploymentId !== deployment.id) {
      stream = {
        deploymentId: deployment.id,
        next: seededRandom(this.seed ^ hash(workerName)),
      };
      this.streams.set(workerName, stream);
    }
    const draw = stream.next() * 100;
    let cumulative = 0;
    const shares = deployment.versions.filter((v) => v.percentage > 0);
    for (const { version_id, percentage } of shares) {
      cumulative += percentage;
      if (draw < cumulative) return version_id;
    }
    // Decimal percentages can sum to a hair under 100; deployments always have a share > 0.
    return shares.at(-1)?.version_id as string;
  }
}
