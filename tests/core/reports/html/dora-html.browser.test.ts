import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderDoraHtml } from "#core";
import { readChartLibrary } from "../../../../pipeline/host/chart-library.js";
import {
  canvasesDrawn,
  fitsWidth,
  launchChromium,
  openReport,
  PHONE,
  screenshotDir,
} from "../../../helpers/browser.js";
import { fourWeekDoraReport } from "../../../helpers/dora-report.js";
import { tempDir } from "../../../helpers/fixture-repo.js";

// The DORA view in Chromium: four weekly charts over DORA's shaded bands, with the table.

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe("the DORA HTML report in a browser", () => {
  it("draws the four metrics week by week over the bands, with the weekly table, offline", async () => {
    const file = join(await tempDir("dora-html-"), "dora.html");
    await writeFile(
      file,
      renderDoraHtml(fourWeekDoraReport(), { chartLibrary: await readChartLibrary() }),
    );
    const { page, watch } = await openReport(browser, file);
    expect(await canvasesDrawn(page)).toEqual([
      { id: "dora-frequency", drawn: true },
      { id: "dora-leadTime", drawn: true },
      { id: "dora-failureRate", drawn: true },
      { id: "dora-restore", drawn: true },
    ]);
    expect(await page.$$eval("#dora-weeks tbody tr", (rows) => rows.length)).toBe(4);
    // The bands are drawn under the data: at 17.5% on the change failure rate chart, in the
    // low band (above 15%), the background carries low's orange tint instead of white.
    const pixel = await page.evaluate(() => {
      interface ChartLike {
        chartArea: { left: number };
        scales: { y: { getPixelForValue(value: number): number } };
        ctx: { getImageData(x: number, y: number, w: number, h: number): { data: number[] } };
      }
      const { Chart } = globalThis as unknown as { Chart: { getChart(id: string): ChartLike } };
      const chart = Chart.getChart("dora-failureRate");
      const y = Math.round(chart.scales.y.getPixelForValue(17.5));
      const ratio = (globalThis as unknown as { devicePixelRatio: number }).devicePixelRatio;
      return [...chart.ctx.getImageData((chart.chartArea.left + 3) * ratio, y * ratio, 1, 1).data];
    });
    expect(pixel[0]).toBeGreaterThan((pixel[2] ?? 0) + 10);
    expect(pixel.slice(0, 3)).not.toEqual([255, 255, 255]);
    expect(watch.errors).toEqual([]);
    expect(watch.requests).toEqual([page.url()]);
    const dir = await screenshotDir(await tempDir("screenshots-"));
    await page.screenshot({ path: join(dir, "dora-report-desktop.png") });
    // A page opened at phone width, as a phone opens it (a resized page redraws its charts later).
    const { page: phone, watch: phoneWatch } = await openReport(browser, file, PHONE);
    expect(await fitsWidth(phone)).toBe(true);
    expect(phoneWatch.errors).toEqual([]);
  });
});
