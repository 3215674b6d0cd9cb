/**
 * Ways a state file ends up damaged, each made from the file's good text: a write cut short, an
 * empty file, bytes that are not JSON, and JSON of another shape (`{"name": 7}`, which no state
 * file's schema accepts). The pattern is the part of the one-line error that names the problem.
 */
export const CORRUPTIONS: [string, (good: string) => string, RegExp][] = [
  ["truncated", (good) => good.slice(0, Math.floor(good.length / 2)), /\(not valid JSON: /],
  ["empty", () => "", /\(not valid JSON: Unexpected end of JSON input\)/],
  ["garbage", () => "\u0000\u0007\n{{{ not json\n", /\(not valid JSON: /],
  ["the wrong shape", () => JSON.stringify({ name: 7 }), /\([\w.()]+: Invalid input: /],
];
