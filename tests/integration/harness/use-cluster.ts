import { resolve } from "node:path";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, inject } from "vitest";
import { type ClusterOptions, startCluster } from "./cluster.js";
import type { D1 } from "./db-snapshot.js";
import { serviceTags, untaggedEntries } from "./flow-tags.js";

export interface ClusterFixture {
  readonly mf: Miniflare;
  /** The D1 database owned by the db service, for reading the state the flows leave behind. */
  database(): Promise<D1>;
}

/**
 * One fresh cluster (empty database) per test file, started before its tests and torn down after.
 * It records every worker the file's flows call, and fails the file when one of them is missing
 * from the tags of any of its tests (see flow-tags.ts): a filtered run would skip that flow.
 */
export function useCluster(options: ClusterOptions = {}): ClusterFixture {
  let started: Miniflare | undefined;
  let recording: Miniflare | undefined;
  const called = new Set<string>();
  beforeAll(async () => {
    const mf = await startCluster(inject("workerSpecs"), options);
    started = mf;
    recording = new Proxy(mf, {
      get(target, property) {
        if (property === "getWorker") {
          return (name: string) => {
            called.add(name);
            return target.getWorker(name);
          };
        }
        const value = Reflect.get(target, property, target);
        // Miniflare keeps private fields: its methods must run on the instance, not the proxy.
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  });
  // vitest reads the first parameter as the fixtures it must set up: none, but it must be a pattern.
  // biome-ignore lint/correctness/noEmptyPattern: the file comes second, after the fixtures
  afterAll(async ({}, file) => {
    await started?.dispose();
    // Harness-only workers (queue-faults) are not services: no change ever selects them.
    const services = new Set(serviceTags(resolve(import.meta.dirname, "../../..")));
    const missing = untaggedEntries(
      file,
      [...called].filter((name) => services.has(name)),
    );
    if (missing.length > 0) {
      throw new Error(
        `flows in this file call ${missing.join(", ")}, but not every test is tagged with it: add { tags: [...] } to the describe`,
      );
    }
  });
  const fixture: ClusterFixture = {
    get mf() {
      if (!recording) throw new Error("cluster not started: use it inside tests or hooks");
      return recording;
    },
    database: () => fixture.mf.getD1Database("DB", "db"),
  };
  return fixture;
}
