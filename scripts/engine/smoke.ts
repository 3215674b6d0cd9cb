/**
 * Smoke test of the engine that `pnpm run engine:up` brings up, through the same client the
 * pipeline uses (`connection()` from @dagger.io/dagger, reading engine:up's env file):
 *   - node:24.21.0-trixie-slim comes from the local mirror and runs Node 24.21.0;
 *   - the module's toolchain set-up works: Debian's mirror over apt, the npm registry over TLS
 *     (the engine installs the host's local CAs into its containers);
 *   - a cache volume keeps what one container wrote for the next;
 *   - a container reaches a server on the host's loopback through `dag.host().service()`.
 * Run with `pnpm exec tsx scripts/engine/smoke.ts`; prints one line a check and exits 1 if one
 * failed, 2 if there is no engine:up env file.
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connection, dag } from "@dagger.io/dagger";
import { NoEngineError, useEngine } from "./engine-env.js";

const NODE_IMAGE = "node:24.21.0-trixie-slim";
const PNPM_VERSION = "12.21.0";

/** A server on the host's loopback only, on a free port: what a container must reach. */
async function startHostServer(): Promise<{ port: number; close: () => void }> {
  const server = createServer((_req, res) => res.end("host-loopback-ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

type Check = { name: string; run: () => Promise<string> };

function expectEqual(actual: string, expected: string): string {
  if (actual.trim() !== expected) throw new Error(`got '${actual.trim()}', expected '${expected}'`);
  return expected;
}

function checks(hostPort: number): Check[] {
  const node = () => dag.container().from(NODE_IMAGE);
  return [
    {
      name: `${NODE_IMAGE} runs node`,
      run: async () =>
        expectEqual(await node().withExec(["node", "--version"]).stdout(), "v24.21.0"),
    },
    {
      name: "toolchain: apt-get install git, npm install -g pnpm",
      run: async () => {
        const script = `apt-get update && apt-get install -y --no-install-recommends git && npm install -g pnpm@${PNPM_VERSION} && pnpm --version`;
        const out = await node().withExec(["sh", "-c", script]).stdout();
        return expectEqual(out.trim().split("\n").at(-1) ?? "", PNPM_VERSION);
      },
    },
    {
      name: "cache volume keeps files between containers",
      run: async () => {
        const volume = dag.cacheVolume("engine-smoke");
        const token = `${process.pid}-${Date.now()}`;
        await node()
          .withMountedCache("/cache", volume)
          .withExec(["sh", "-c", `echo ${token} > /cache/token`])
          .sync();
        const read = await node()
          .withEnvVariable("READ_AFTER", token)
          .withMountedCache("/cache", volume)
          .withExec(["cat", "/cache/token"])
          .stdout();
        return expectEqual(read, token);
      },
    },
    {
      name: "container reaches a server on the host's loopback (host().service())",
      run: async () => {
        const service = dag.host().service([{ frontend: hostPort, backend: hostPort }]);
        const body = await node()
          .withServiceBinding("hostsvc", service)
          .withEnvVariable("BUST", String(Date.now()))
          .withExec([
            "node",
            "-e",
            `fetch("http://hostsvc:${hostPort}/").then((r) => r.text()).then((t) => process.stdout.write(t))`,
          ])
          .stdout();
        return expectEqual(body, "host-loopback-ok");
      },
    },
  ];
}

async function main(): Promise<number> {
  try {
    await useEngine(join(import.meta.dirname, "../.."));
  } catch (error) {
    if (!(error instanceof NoEngineError)) throw error;
    console.error(`engine smoke: ${error.message}`);
    return 2;
  }
  const host = await startHostServer();
  let passed = 0;
  let failed = 0;
  try {
    // Outside the repository, so the CLI does not try to load the repository's module.
    await connection(
      async () => {
        for (const check of checks(host.port)) {
          const started = Date.now();
          try {
            const result = await check.run();
            passed++;
            console.log(`ok   ${check.name}: ${result} (${(Date.now() - started) / 1000}s)`);
          } catch (error) {
            failed++;
            const message = error instanceof Error ? error.message : String(error);
            console.log(`FAIL ${check.name}: ${message.split("\n")[0]}`);
          }
        }
      },
      { Workdir: tmpdir() },
    );
  } finally {
    host.close();
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
