import { stripVTControlCharacters } from "node:util";
import { LOG_TAIL_LINES } from "#core";

/**
 * Keeps the last `maxLines` lines of a stream of output chunks, without terminal colours: the
 * host's counterpart of the core's `lastLines`, for output that arrives as it is written.
 */
export class LogTail {
  private lines: string[] = [];
  private partial = "";

  constructor(private readonly maxLines = LOG_TAIL_LINES) {}

  push(chunk: string): void {
    // Some tools (biome) colour their output even with NO_COLOR; reports must stay plain.
    const parts = stripVTControlCharacters(this.partial + chunk).split("\n");
    this.partial = parts.pop() ?? "";
    this.lines.push(...parts);
    if (this.lines.length > this.maxLines) {
      this.lines.splice(0, this.lines.length - this.maxLines);
    }
  }

  toString(): string {
    return [...this.lines, ...(this.partial ? [this.partial] : [])]
      .slice(-this.maxLines)
      .join("\n");
  }
}
