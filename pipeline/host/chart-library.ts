import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * Chart.js's browser bundle (its UMD build, minified), inlined into every HTML report so the file
 * draws its charts offline. Chart.js over uPlot and Observable Plot: one dependency-free file
 * (uPlot has no bar charts for a Gantt timeline; Plot needs d3 bundled beside it), floating bars
 * for timelines, mixed bar and line charts for rollout windows, and a plugin hook for DORA's band
 * shading; it is widely used and actively released. The package exports no path to the bundle,
 * so it is found beside the entry point `require` resolves.
 */
export async function readChartLibrary(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve("chart.js");
  return readFile(join(dirname(entry), "chart.umd.min.js"), "utf8");
}
