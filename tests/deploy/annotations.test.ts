import { describe, expect, it } from "vitest";
import {
  originArgs,
  originMessage,
  parseOrigin,
} from "../../dagger/src/core/deploy/annotations.js";

const origin = { commit: "0123456789abcdef0123456789abcdef01234567", run: "12345-1" };

describe("version origin annotations", () => {
  it("round-trips through workers/message", () => {
    expect(parseOrigin(originMessage(origin))).toEqual(origin);
  });

  it("annotates an upload with --message and a short --tag", () => {
    expect(originArgs(origin)).toEqual([
      "--message",
      `commit ${origin.commit} run 12345-1`,
      "--tag",
      "0123456789ab",
    ]);
  });

  it("reads nothing from messages it did not write", () => {
    expect(parseOrigin(undefined)).toBeUndefined();
    expect(parseOrigin("Rollback to 1234")).toBeUndefined();
    expect(parseOrigin("commit abc run 1")).toBeUndefined();
  });
});
