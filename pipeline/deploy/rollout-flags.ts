import { ROLLOUT_OPTIONS, type RolloutOptions } from "#core";

/** The rollout flags (deploy and release share them) as the core's resolveRollout takes them. */
export function rolloutOptions(flags: Readonly<Record<string, unknown>>): RolloutOptions {
  return Object.fromEntries(
    Object.entries(ROLLOUT_OPTIONS).map(([key, option]) => [
      key,
      typeof flags[option.flag] === "string" ? flags[option.flag] : undefined,
    ]),
  );
}
