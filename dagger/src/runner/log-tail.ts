/** How much of a step's output a failure report shows (the host runner keeps as much). */
export const LOG_TAIL_LINES = 60;

export function lastLines(text: string, count = LOG_TAIL_LINES): string {
  return text.trimEnd().split("\n").slice(-count).join("\n");
}
