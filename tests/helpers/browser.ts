import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { REPO_ROOT } from "./paths.js";

/**
 * Debian's Chromium (`apt-get install chromium`; .ci/run installs it when missing): Playwright's
 * own browser downloads cannot be reached here, and playwright-core drives any Chromium.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  // No sandbox: CI containers run as root, where Chromium refuses its own sandbox.
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/** What a page did besides rendering: console errors, uncaught exceptions, requests. */
export interface PageWatch {
  errors: string[];
  requests: string[];
}

/**
 * Opens `file` and records every console error, uncaught exception and request. Any request
 * other than the file itself is aborted before it leaves (and stays in `requests`, so a test
 * sees it).
 */
export async function openReport(
  browser: Browser,
  file: string,
  viewport: { width: number; height: number } = DESKTOP,
): Promise<{ page: Page; watch: PageWatch }> {
  const url = pathToFileURL(file).href;
  const page = await browser.newPage({ viewport });
  const watch: PageWatch = { errors: [], requests: [] };
  page.on("console", (message) => {
    if (message.type() === "error") watch.errors.push(message.text());
  });
  page.on("pageerror", (error) => watch.errors.push(error.message));
  page.on("request", (request) => watch.requests.push(request.url()));
  await page.route("**/*", (route) =>
    route.request().url() === url ? route.continue() : route.abort(),
  );
  await page.goto(url, { waitUntil: "load" });
  return { page, watch };
}

// The page's own types, for code that runs in the browser (the tests' tsconfig has no DOM lib).
interface Canvas {
  id: string;
  width: number;
  height: number;
  getContext(kind: "2d"): {
    getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
  } | null;
}
interface Window {
  innerWidth: number;
  document: { documentElement: { scrollWidth: number } };
}

/** For each canvas on the page: its id and whether anything was drawn on it. */
export function canvasesDrawn(page: Page): Promise<{ id: string; drawn: boolean }[]> {
  return page.$$eval("canvas", (canvases) =>
    (canvases as unknown as Canvas[]).map((canvas) => {
      const context = canvas.getContext("2d");
      const pixels = context?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
      let drawn = false;
      for (let alpha = 3; alpha < pixels.length && !drawn; alpha += 4) {
        drawn = (pixels[alpha] ?? 0) > 0;
      }
      return { id: canvas.id, drawn: canvas.width > 0 && drawn };
    }),
  );
}

/** True when the page fits its viewport's width (no sideways scrolling on a phone). */
export function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const window = globalThis as unknown as Window;
    return window.document.documentElement.scrollWidth <= window.innerWidth;
  });
}

/**
 * Screenshots for the README go to docs/screenshots when SCREENSHOTS=docs is set (regenerate
 * them that way); otherwise into `fallbackDir`, so an ordinary test run leaves the tree alone.
 */
export async function screenshotDir(fallbackDir: string): Promise<string> {
  const dir =
    process.env.SCREENSHOTS === "docs" ? join(REPO_ROOT, "docs/screenshots") : fallbackDir;
  await mkdir(dir, { recursive: true });
  return dir;
}
