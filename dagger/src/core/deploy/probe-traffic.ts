import type { Clock, HttpClient } from "./ports.js";
import { runSmokeTest, type SmokeTest } from "./smoke-tests.js";
import { withVersionOverride } from "./version-override.js";

/** What the probes sent to one version in a window, counted by the pipeline that sent them. */
export interface ProbeTraffic {
  versionId: string;
  requests: number;
  serverErrors: number;
  clientErrors: number;
  /** Probes whose answer did not meet their smoke test's expectations. */
  failed: number;
}

export interface ProbeRun {
  /** Stops sending and returns the counts, per version in the order given. */
  stop(): Promise<ProbeTraffic[]>;
}

/**
 * Probe traffic, as Flagger's load tester sends it: the service's smoke tests, in turn, to each
 * version at `perSecond`, pinned by `Cloudflare-Workers-Version-Overrides` so that both versions
 * get evidence whatever the split and however few users there are. The telemetry sees these
 * requests like any other, so the window judges them; their own counts let the report show
 * users' traffic apart from them.
 */
export function startProbes(
  http: HttpClient,
  clock: Clock,
  baseUrl: string,
  worker: string,
  versionIds: string[],
  tests: SmokeTest[],
  perSecond: number,
): ProbeRun {
  const stopped = new AbortController();
  const counts = versionIds.map((versionId) => ({
    versionId,
    requests: 0,
    serverErrors: 0,
    clientErrors: 0,
    failed: 0,
  }));
  const loops = counts.map(async (count) => {
    if (tests.length === 0 || perSecond <= 0) return;
    const pinned = withVersionOverride(http, worker, count.versionId);
    const recording: HttpClient = {
      async request(request) {
        const response = await pinned.request(request);
        count.requests++;
        if (response.status >= 500) count.serverErrors++;
        else if (response.status >= 400) count.clientErrors++;
        return response;
      },
    };
    for (let sent = 0; !stopped.signal.aborted; sent++) {
      const test = tests[sent % tests.length] as SmokeTest;
      const result = await runSmokeTest(recording, baseUrl, test, clock.now);
      if (!result.ok) count.failed++;
      await clock.sleep(1000 / perSecond, stopped.signal);
    }
  });
  return {
    async stop() {
      stopped.abort();
      await Promise.all(loops);
      return counts;
    },
  };
}
