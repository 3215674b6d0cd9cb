import { readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";

export const BENCHMARKS_DOC = join(import.meta.dirname, "..", "docs", "benchmarks.md");

/** Where the page's history starts: a new benchmark's first section goes above it. */
const HISTORY_MARKER = "<!-- history:start -->";

/**
 * Replaces the section between `<!-- name:start -->` and `<!-- name:end -->` in
 * docs/benchmarks.md, leaving the other benchmarks' sections as they are. The first time, the
 * section is added after the current figures: the page shows them first and history last.
 */
export async function writeBenchmarkSection(name: string, section: string): Promise<void> {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const current = await readFile(BENCHMARKS_DOC, "utf8").catch(() => "# Benchmarks\n");
  const block = `${start}\n${section.trimEnd()}\n${end}`;
  await writeFile(BENCHMARKS_DOC, withSection(current, start, end, block));
}

function withSection(current: string, start: string, end: string, block: string): string {
  if (current.includes(start) && current.includes(end)) {
    return (
      current.slice(0, current.indexOf(start)) +
      block +
      current.slice(current.indexOf(end) + end.length)
    );
  }
  const history = current.indexOf(HISTORY_MARKER);
  if (history === -1) return `${current.trimEnd()}\n\n${block}\n`;
  return `${current.slice(0, history).trimEnd()}\n\n${block}\n\n${current.slice(history)}`;
}

/** "2 cores (model), 24 GiB": what the figures were measured on. */
export function machineDescription(): string {
  const cores = cpus();
  return `${cores.length} cores (${cores[0]?.model ?? "unknown CPU"}), ${Math.round(totalmem() / 2 ** 30)} GiB`;
}

export function loadAverage(): string {
  return (loadavg()[0] ?? 0).toFixed(2);
}
