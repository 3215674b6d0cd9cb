import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare, MiniflareCoreError, type MiniflareOptions } from "miniflare";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WorkerRuntime } from "../src/deployments/runtime.js";
import { CloudStore, localAccountId } from "../src/index.js";

/**
 * A swap restarts workerd through Miniflare's setOptions, which listens again on the ports the
 * last start got. Another process can take one of them in between; here Miniflare reports that
 * the way it does (ERR_ADDRESS_IN_USE), on cue, since the gap is too short to win on purpose.
 */
class PortTakenOnRestart extends Miniflare {
  static failure: MiniflareCoreError | undefined;

  override async setOptions(options: MiniflareOptions): Promise<void> {
    const failure = PortTakenOnRestart.failure;
    PortTakenOnRestart.failure = undefined;
    if (failure) throw failure;
    await super.setOptions(options);
  }
}

let dataDir: string;
let runtime: WorkerRuntime;
let made: Miniflare[];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "local-cloud-runtime-"));
  made = [];
  runtime = new WorkerRuntime(await CloudStore.open(dataDir, localAccountId), (options) => {
    const miniflare = new PortTakenOnRestart(options);
    made.push(miniflare);
    return miniflare;
  });
  await runtime.apply();
});

afterEach(async () => {
  PortTakenOnRestart.failure = undefined;
  await runtime.dispose();
  await Promise.all(made.map((miniflare) => miniflare.dispose().catch(() => undefined)));
  await rm(dataDir, { recursive: true, force: true });
});

describe("a workerd restart whose port another process took", () => {
  it("starts a new runtime on fresh ports, which serves, and stops the one that failed", async () => {
    const first = made[0] as Miniflare;
    const firstPort = (await first.ready).port;
    PortTakenOnRestart.failure = new MiniflareCoreError(
      "ERR_ADDRESS_IN_USE",
      `Address already in use (127.0.0.1:${firstPort}). Please check that you are not already running a server on this address or specify a different port with --port.`,
    );
    await runtime.apply();
    expect(made).toHaveLength(2);
    const second = made[1] as Miniflare;
    // The internal D1 worker answers every path it does not know with a 404.
    expect((await second.dispatchFetch("http://localhost/")).status).toBe(404);
    await expect(first.ready).rejects.toThrow(/disposed/i);
  });

  it("reports any other failure to start as it is, and starts nothing else", async () => {
    PortTakenOnRestart.failure = new MiniflareCoreError(
      "ERR_RUNTIME_FAILURE",
      "The Workers runtime failed to start.",
    );
    await expect(runtime.apply()).rejects.toThrow("The Workers runtime failed to start.");
    expect(made).toHaveLength(1);
  });
});
