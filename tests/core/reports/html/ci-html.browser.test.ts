import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  canvasesDrawn,
  fitsWidth,
  launchChromium,
  openReport,
  PHONE,
  screenshotDir,
} from "../../../helpers/browser.js";
import { tempDir } from "../../../helpers/fixture-repo.js";
import { runPipeline } from "../../../helpers/in-process-cli.js";
import { tinyCiRepo } from "../../../helpers/tiny-ci-repo.js";

// The `ci` report of real runs of the host runner on a small workspace, opened in Chromium.

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

async function ci(repo: string, extra: string[] = []) {
  const result = await runPipeline(["ci", "--json", "report.json", ...extra], {
    cwd: repo,
    env: process.env,
  });
  const report = JSON.parse(await readFile(join(repo, "report.json"), "utf8")) as {
    htmlReport: string;
    steps: { id: string; status: string }[];
  };
  return { ...result, report };
}

describe("the ci HTML report in a browser", () => {
  it("shows every step with its status, the Gantt chart, the critical path and coverage, offline", async () => {
    const repo = await tinyCiRepo();
    const run = await ci(repo);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.report.htmlReport).toMatch(/\.pipeline\/runs\/[^/]+-steps-\d+\.html$/);
    expect(run.stdout.split("\n").filter((line) => line.startsWith("HTML report: "))).toEqual([
      `HTML report: ${run.report.htmlReport}`,
    ]);

    const { page, watch } = await openReport(browser, run.report.htmlReport);
    const rows = await page.$$eval("#steps tbody tr", (trs) =>
      trs.map((tr) => [
        tr.querySelector("td")?.textContent,
        tr.querySelector(".status")?.getAttribute("data-status"),
      ]),
    );
    expect(rows).toEqual(run.report.steps.map((step) => [step.id, step.status]));
    expect(rows.map(([id]) => id)).toEqual(
      expect.arrayContaining(["install", "typecheck", "lint", "test:api", "test:db", "coverage"]),
    );
    expect(await page.textContent("#verdict")).toMatch(/^PASSED in /);
    expect(await page.textContent("#critical-path")).toMatch(/^Critical path .*: install → /);
    expect(await page.$$eval("#coverage tbody tr", (trs) => trs.length)).toBe(3);
    expect(await page.$$eval("details[data-step]", (details) => details.length)).toBe(rows.length);
    expect(await canvasesDrawn(page)).toEqual([{ id: "gantt", drawn: true }]);
    expect(watch.errors).toEqual([]);
    expect(watch.requests).toEqual([page.url()]);

    const dir = await screenshotDir(await tempDir("screenshots-"));
    await page.screenshot({ path: join(dir, "ci-report-desktop.png") });
    // A page opened at phone width, as a phone opens it (a resized page redraws its charts later).
    const { page: phone, watch: phoneWatch } = await openReport(
      browser,
      run.report.htmlReport,
      PHONE,
    );
    expect(await fitsWidth(phone)).toBe(true);
    await phone.screenshot({ path: join(dir, "ci-report-phone.png") });
    expect(phoneWatch.errors).toEqual([]);
  });

  it("shows a failed step as failed, its log open, and the run as failed", async () => {
    const repo = await tinyCiRepo({ failing: "auth" });
    const run = await ci(repo, ["--keep-going"]);
    expect(run.exitCode).toBe(1);
    const { page, watch } = await openReport(browser, run.report.htmlReport);
    expect(await page.textContent("#verdict")).toMatch(/^FAILED in /);
    expect(
      await page.$eval('#steps tr:has(td:text-is("test:auth")) .status', (cell) =>
        cell.getAttribute("data-status"),
      ),
    ).toBe("failed");
    const log = page.locator('details[data-step="test:auth"]');
    expect(await log.getAttribute("open")).toBe("");
    expect(await log.locator("pre").textContent()).toContain("expected 200, got 500");
    expect(await page.locator('details[data-step="test:api"]').getAttribute("open")).toBeNull();
    expect(watch.errors).toEqual([]);
    expect(watch.requests).toEqual([page.url()]);
  });
});
