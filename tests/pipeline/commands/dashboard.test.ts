import { writeFile } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../helpers/browser.js";
import { tempDir } from "../../helpers/fixture-repo.js";
import { runPipeline } from "../../helpers/in-process-cli.js";
import { REPO_ROOT } from "../../helpers/paths.js";
import { PipelineProcess } from "../../helpers/pipeline-process.js";
import { tinyCiRepo } from "../../helpers/tiny-ci-repo.js";

// `pnpm run pipeline dashboard` as a person starts it, followed in Chromium while a real
// `pnpm run pipeline ci` runs on a small workspace: the run appears, runs and finishes live.

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** An address of this machine other than loopback, if it has one. */
function outsideAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((entry) => entry?.family === "IPv4" && !entry.internal)?.address;
}

describe("pipeline dashboard", () => {
  it("shows a ci run appear, run and finish live, on loopback only", async () => {
    // The workspace's unit tests wait for this file: the test decides when the run may end.
    const gate = join(await tempDir("dashboard-gate-"), "go");
    const repo = await tinyCiRepo({ gate });
    const dashboard = new PipelineProcess(REPO_ROOT, ["dashboard", "--port", "0", "--repo", repo]);
    let ci: PipelineProcess | undefined;
    try {
      const line = await dashboard.waitFor(/^dashboard: http:\/\/127\.0\.0\.1:\d+\/ /);
      const url = line.split(" ")[1] as string;
      const port = new URL(url).port;

      const page = await browser.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on("request", (request) => requests.push(request.url()));
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(url);
      await page.locator("#no-runs").waitFor();

      ci = new PipelineProcess(REPO_ROOT, ["ci", "--repo", repo]);
      // Generous bounds on events: in a full run the machine is busy with the deploy suites.
      const running = page.locator('#runs tr[data-run] .status[data-status="running"]');
      await running.waitFor({ timeout: 120_000 });
      expect(await page.locator("#runs tr[data-run] a").textContent()).toBe("pipeline ci");

      await page.locator("#runs tr[data-run] a").click();
      // The unit tests start once install has passed, and wait on the gate: the page follows.
      await page
        .locator('#steps tr:has(td:text-is("test:api")) .status[data-status="running"]')
        .waitFor({ timeout: 120_000 });
      expect(await page.locator("#verdict").getAttribute("data-state")).toBe("running");
      expect(
        await page
          .locator('#steps tr:has(td:text-is("install")) .status')
          .getAttribute("data-status"),
      ).toBe("passed");

      await writeFile(gate, "");
      await page.locator('#verdict[data-state="passed"]').waitFor({ timeout: 120_000 });
      expect(
        await page.$$eval("#steps .status", (cells) =>
          cells.map((cell) => cell.getAttribute("data-status")),
        ),
      ).toEqual(["passed", "passed", "passed", "passed", "passed", "passed", "passed"]);
      expect((await ci.exited).status).toBe(0);

      await page.goto(url);
      await page.locator('#runs .status[data-status="passed"]').waitFor();
      await page.goto(new URL("/dora", url).href);
      expect(await page.locator("#no-dora").textContent()).toContain("pnpm run pipeline dora");

      expect(errors).toEqual([]);
      expect(requests.every((request) => request.startsWith(url))).toBe(true);
      const outside = outsideAddress();
      if (outside !== undefined) {
        await expect(fetch(`http://${outside}:${port}/`)).rejects.toThrow();
      }
      await page.close();
    } finally {
      dashboard.killGroup("SIGINT");
      await ci?.dispose();
    }
    expect((await dashboard.exited).status).toBe(0);
  }, 600_000);

  it("refuses a port that is not one in one line, exit code 2", async () => {
    const result = await runPipeline(["dashboard", "--port", "70000"], { cwd: REPO_ROOT, env: {} });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toBe(
      'pipeline dashboard: --port: "70000" is not a port number (0-65535)',
    );
  });
});
