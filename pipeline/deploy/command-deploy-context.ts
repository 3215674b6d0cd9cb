import { ensureLocalCloud } from "@workers/local-cloud";
import {
  DEFAULT_HEALTH_POLICY,
  type DeployContext,
  type DeployJournal,
  type DeployTarget,
  fetchHttpClient,
  type Rollout,
  systemClock,
} from "#core";
import type { CommandContext } from "../command.js";
import { openCloudflarePorts } from "./cloudflare-ports.js";
import type { HostInterrupt } from "./interrupts.js";

/**
 * Overall health timeout, for callers that know their Workers start slowly (or tests that
 * want a timeout quickly): `PIPELINE_HEALTH_TIMEOUT_MS`.
 */
export function healthPolicy(env: NodeJS.ProcessEnv) {
  const timeoutMs = Number(env.PIPELINE_HEALTH_TIMEOUT_MS);
  return Number.isInteger(timeoutMs) && timeoutMs > 0
    ? { ...DEFAULT_HEALTH_POLICY, timeoutMs }
    : DEFAULT_HEALTH_POLICY;
}

export async function commandDeployContext(
  repoRoot: string,
  target: DeployTarget,
  command: CommandContext,
  /** From withInterrupts (the commands); without it a signal ends the process where it is. */
  interrupt?: HostInterrupt,
  /** How traffic moves to new versions; immediate when absent (rollbacks, benchmarks). */
  rollout: Rollout = { strategy: "immediate" },
  /** A deploy's journal: its uploads are annotated with their place in its plan. */
  journal?: DeployJournal,
): Promise<DeployContext> {
  const { deployer, endpoints, metrics } = await openCloudflarePorts(
    repoRoot,
    target,
    command.env,
    () => ensureLocalCloud(repoRoot),
    interrupt?.children,
    (line) => command.stderr(`  ! ${line}`),
    journal && ((service) => journal.placeOf(service)),
  );
  return {
    target,
    deployer,
    endpoints,
    http: fetchHttpClient,
    clock: systemClock,
    health: healthPolicy(command.env),
    progress: command.stderr,
    ...(rollout.strategy === "gradual" ? { gradual: { policy: rollout.policy, metrics } } : {}),
    ...(interrupt ? { interrupt: interrupt.signal, unfinished: interrupt.unfinished } : {}),
    ...(journal ? { journal } : {}),
  };
}
