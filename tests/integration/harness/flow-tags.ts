import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * Integration flows are tagged with the services they enter through (vitest `tags`), so
 * `pipeline ci --base` runs only the flows through affected services (`--tags-filter`). A flow
 * entering through a service exercises everything that service binds to, and affected detection
 * adds a service whenever something it binds to changed: the entry points are enough.
 */

/** The tag of the harness's own tests: they run whenever the integration tests change. */
export const HARNESS_TAG = "harness";

/** One tag per service, named as the pipeline names it (its directory under services/). */
export function serviceTags(repoRoot: string): string[] {
  const servicesDir = join(repoRoot, "services");
  return readdirSync(servicesDir)
    .filter((name) => existsSync(join(servicesDir, name, "wrangler.jsonc")))
    .sort();
}

interface TaggedTask {
  type: string;
  tags?: string[];
  tasks?: TaggedTask[];
}

/**
 * The workers a file's flows called that not every one of its tests is tagged with: such a flow
 * would be left out of a run filtered to a change in that worker.
 */
export function untaggedEntries(file: TaggedTask, called: Iterable<string>): string[] {
  const tests: TaggedTask[] = [];
  const collect = (task: TaggedTask) => {
    if (task.type === "test") {
      tests.push(task);
    }
    for (const child of task.tasks ?? []) {
      collect(child);
    }
  };
  collect(file);
  return [...new Set(called)]
    .filter((worker) => tests.some((test) => !(test.tags ?? []).includes(worker)))
    .sort();
}
