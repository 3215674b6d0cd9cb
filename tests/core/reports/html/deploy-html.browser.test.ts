import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureLocalCloud, type LocalCloudHandle } from "@workers/local-cloud";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeployReport } from "#core";
import {
  canvasesDrawn,
  fitsWidth,
  launchChromium,
  openReport,
  PHONE,
  screenshotDir,
} from "../../../helpers/browser.js";
import { tempDir } from "../../../helpers/fixture-repo.js";
import { copyRepo, type TempRepo } from "../../../helpers/temp-repo.js";

// The deploy report of real deploys to the local control plane (real wrangler and workerd),
// opened in Chromium: one deploy of two services in two waves, then a gradual rollout of db
// under real traffic, whose analysis windows the report charts.

let repo: TempRepo;
let cloud: LocalCloudHandle;
let browser: Browser;

const DB_SOURCE = "services/db/src/index.ts";
const FETCH = "  override async fetch(request: Request): Promise<Response> {\n";

/** db with a `/traffic` route for the rollout's users to call. */
const withTrafficRoute = (text: string) =>
  text.replace(
    FETCH,
    `${FETCH}    if (new URL(request.url).pathname === "/traffic") {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return Response.json({ version: this.env.VERSION?.id });
    }
`,
  );

type Deploy = Awaited<ReturnType<typeof deploy>>;
/** The first deploy of db and auth (two waves): what the first test reads, and the second rolls db forward from. */
let firstDeploy: Deploy;

beforeAll(async () => {
  [repo, browser] = await Promise.all([copyRepo(), launchChromium()]);
  cloud = await ensureLocalCloud(repo.root);
  firstDeploy = await deploy(["--service", "db,auth"]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
  await repo?.dispose();
});

async function deploy(args: string[]) {
  const result = await repo.cli(["deploy", "--env", "local", "--json", "report.json", ...args]);
  const report = JSON.parse(
    await readFile(join(repo.root, "report.json"), "utf8"),
  ) as DeployReport & {
    htmlReport: string;
  };
  return { ...result, report };
}

/** Requests to db's `/traffic` until `done` settles: what the rollout windows measure. */
async function withUsers<T>(done: Promise<T>): Promise<T> {
  let finished = false;
  const url = new URL("/traffic", (await cloud.workerUrl("db")) as string);
  const users = Array.from({ length: 2 }, async () => {
    while (!finished) {
      // A kept-alive connection the control plane closes as it swaps versions fails the next
      // request sent on it; a browser retries such a request, and so does this user, instead
      // of stopping (a rollout with no users left would wait out its windows for traffic).
      await fetch(url).then(
        (response) => response.text(),
        () => undefined,
      );
    }
  });
  const result = await done.finally(() => {
    finished = true;
  });
  await Promise.all(users);
  return result;
}

describe("the deploy HTML report in a browser", () => {
  it("shows each service with its wave, outcome, versions, health and smoke tests, offline", async () => {
    const run = firstDeploy;
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`HTML report: ${run.report.htmlReport}`);
    const { page, watch } = await openReport(browser, run.report.htmlReport);
    const rows = await page.$$eval("table.services tbody tr", (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")),
    );
    expect(rows.map((cells) => cells.slice(0, 3))).toEqual(
      run.report.services.map((service) => [service.service, String(service.wave), `✓ deployed`]),
    );
    for (const [index, service] of run.report.services.entries()) {
      expect(rows[index]?.[4]).toBe(service.newVersion?.slice(0, 8));
      expect(rows[index]?.[5]).toMatch(/^✓ ok/);
    }
    expect(await page.textContent("#verdict")).toMatch(/^✓ OK in /);
    expect(await canvasesDrawn(page)).toEqual([{ id: "waves", drawn: true }]);
    expect(watch.errors).toEqual([]);
    expect(watch.requests).toEqual([page.url()]);
  });

  it("charts a gradual rollout's windows per version with their verdicts", async () => {
    // The version serving (the first deploy's) answers /traffic without the route, with no
    // exception: requests either way, which is what the windows count.
    await repo.patch(DB_SOURCE, withTrafficRoute);
    const run = await withUsers(
      // Small samples and no bake: this test is about how windows are drawn, not about the
      // statistics (the local-cloud-rollouts suite judges those with real traffic).
      deploy([
        "--service",
        "db",
        "--strategy",
        "gradual",
        "--window",
        "3",
        "--min-sample",
        "5",
        "--max-wait",
        "20",
        "--bake",
        "0",
      ]),
    );
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const { page, watch } = await openReport(browser, run.report.htmlReport);
    const windows = await page.$$eval("table.windows tbody tr", (trs) =>
      trs.map((tr) => {
        const cells = [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "");
        return [cells[0], cells[1], cells[7]];
      }),
    );
    expect(windows).toEqual([
      ["10%", "old", "✓ pass"],
      ["10%", "new", "✓ pass"],
      ["50%", "old", "✓ pass"],
      ["50%", "new", "✓ pass"],
    ]);
    expect(await canvasesDrawn(page)).toEqual([
      { id: "waves", drawn: true },
      { id: "windows-0", drawn: true },
    ]);
    expect(watch.errors).toEqual([]);
    expect(watch.requests).toEqual([page.url()]);

    const dir = await screenshotDir(await tempDir("screenshots-"));
    await page.screenshot({ path: join(dir, "deploy-report-desktop.png"), fullPage: true });
    // A page opened at phone width, as a phone opens it (a resized page redraws its charts later).
    const { page: phone, watch: phoneWatch } = await openReport(
      browser,
      run.report.htmlReport,
      PHONE,
    );
    expect(await fitsWidth(phone)).toBe(true);
    await phone.screenshot({ path: join(dir, "deploy-report-phone.png") });
    expect(phoneWatch.errors).toEqual([]);
  }, 240_000);
});
