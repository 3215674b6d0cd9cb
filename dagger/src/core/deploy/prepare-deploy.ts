import type { RepoReader } from "../repo-reader.js";
import type { DeployTarget, ServiceCatalog } from "../services/catalog.js";
import { buildDeployPlan } from "./build-plan.js";
import {
  type ChosenServices,
  chooseServices,
  leaveOutUndeployable,
  namedServices,
  type SelectionPorts,
  type ServiceSelection,
} from "./choose-services.js";
import type { DeployPlan } from "./deploy-plan.js";
import type { RolloutOptions } from "./rollout-options.js";
import { defaultStrategy, type Rollout, resolveRollout } from "./rollout-policy.js";

/** What a deploy will do, decided before anything changes: both runners print or run this. */
export interface PreparedDeploy {
  rollout: Rollout;
  chosen: ChosenServices;
  /** Absent when the selection chose nothing (see nothingToDeploy). */
  plan?: DeployPlan;
}

/**
 * The rollout (the repository's configured strategy unless one is given), the services the
 * selection chooses, and their plan in waves.
 */
export async function prepareDeploy(
  reader: RepoReader,
  catalog: ServiceCatalog,
  target: DeployTarget,
  selection: ServiceSelection,
  rolloutOptions: RolloutOptions,
  ports: SelectionPorts,
): Promise<PreparedDeploy> {
  const rollout = resolveRollout(target, rolloutOptions, catalog.settings.rolloutStrategy);
  const chosen = leaveOutUndeployable(
    catalog,
    target,
    await chooseServices(catalog, selection, ports),
    selection,
    ports.note,
  );
  if (chosen.names.length === 0) return { rollout, chosen };
  return {
    rollout,
    chosen,
    plan: await buildDeployPlan(reader, catalog, target, chosen.names, chosen.selection),
  };
}

export function nothingToDeploy(chosen: ChosenServices): string {
  return `no services affected (${chosen.selection}): nothing to deploy`;
}

export const RELEASE_STAGES = ["staging", "production"] as const;

/**
 * Each stage's rollout. Without a strategy, the gradual options tune the stages gradual by
 * default (production); with one, every stage uses it. Bad options fail here, before anything
 * is read.
 */
export function releaseRollouts(options: RolloutOptions): Rollout[] {
  return RELEASE_STAGES.map((target) =>
    resolveRollout(
      target,
      options.strategy === undefined && defaultStrategy(target) === "immediate" ? {} : options,
    ),
  );
}

/** Both stages' plans, so that bad input stops a release before staging changes at all. */
export async function planRelease(
  reader: RepoReader,
  catalog: ServiceCatalog,
  services: readonly string[],
  rolloutOptions: RolloutOptions,
): Promise<{ plan: DeployPlan; rollout: Rollout }[]> {
  const { names, selection } = namedServices(catalog, services);
  const rollouts = releaseRollouts(rolloutOptions);
  return Promise.all(
    RELEASE_STAGES.map(async (target, index) => ({
      plan: await buildDeployPlan(reader, catalog, target, names, selection),
      rollout: rollouts[index] as Rollout,
    })),
  );
}
