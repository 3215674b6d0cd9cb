import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, inject } from "vitest";
import { type ClusterOptions, startCluster } from "./cluster.js";
import type { D1 } from "./db-snapshot.js";

export interface ClusterFixture {
  readonly mf: Miniflare;
  /** The D1 database owned by the db service, for reading the state the flows leave behind. */
  database(): Promise<D1>;
}

/** One fresh cluster (empty database) per test file, started before its tests and torn down after. */
export function useCluster(options: ClusterOptions = {}): ClusterFixture {
  let started: Miniflare | undefined;
  beforeAll(async () => {
    started = await startCluster(inject("workerSpecs"), options);
  });
  afterAll(async () => {
    await started?.dispose();
  });
  const fixture: ClusterFixture = {
    get mf() {
      if (!started) throw new Error("cluster not started: use it inside tests or hooks");
      return started;
    },
    database: () => fixture.mf.getD1Database("DB", "db"),
  };
  return fixture;
}
