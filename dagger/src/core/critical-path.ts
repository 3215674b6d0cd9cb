import type { Step } from "./steps.js";

/** The longest chain of work that starts with one step: that step, then its slowest dependents. */
export interface RemainingPath {
  ms: number;
  /** Step ids, the step itself first. */
  path: string[];
}

/**
 * For every step, its own duration plus the longest chain of steps that need it, transitively.
 * The largest value is the graph's critical path, the best any scheduler could do on unlimited
 * cores; ranking ready steps by it starts the chain that would otherwise become the tail.
 * A step with no known duration counts as zero: there is no evidence that it is long.
 * Expects a graph `validateStepGraph` accepts (no cycles).
 */
export function remainingPaths(
  steps: readonly Pick<Step, "id" | "needs">[],
  durations: Readonly<Record<string, number>>,
): Map<string, RemainingPath> {
  const dependents = new Map<string, string[]>(steps.map((step) => [step.id, []]));
  for (const step of steps) {
    for (const need of step.needs) {
      dependents.get(need)?.push(step.id);
    }
  }
  const memo = new Map<string, RemainingPath>();
  const longest = (id: string): RemainingPath => {
    const known = memo.get(id);
    if (known) {
      return known;
    }
    const after = (dependents.get(id) ?? [])
      .map(longest)
      .reduce<RemainingPath>((best, next) => (next.ms > best.ms ? next : best), {
        ms: 0,
        path: [],
      });
    const result = { ms: (durations[id] ?? 0) + after.ms, path: [id, ...after.path] };
    memo.set(id, result);
    return result;
  };
  return new Map(steps.map((step) => [step.id, longest(step.id)]));
}

/** The slowest chain through the whole graph (empty for no steps). */
export function criticalPath(
  steps: readonly Pick<Step, "id" | "needs">[],
  durations: Readonly<Record<string, number>>,
): RemainingPath {
  return [...remainingPaths(steps, durations).values()].reduce<RemainingPath>(
    (best, next) => (next.ms > best.ms ? next : best),
    { ms: 0, path: [] },
  );
}
