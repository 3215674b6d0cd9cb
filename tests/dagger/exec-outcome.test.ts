import { ExecError } from "@dagger.io/dagger";
import { describe, expect, it } from "vitest";
import { execFailure } from "../../dagger/src/runner/exec-outcome.js";

describe("execFailure", () => {
  it("reads a failed command's outcome from the SDK's ExecError", () => {
    const error = new ExecError("process did not complete successfully", {
      cmd: ["pnpm", "test"],
      exitCode: 1,
      stdout: "1 failed",
      stderr: "AssertionError",
    });
    expect(execFailure(error)).toEqual({
      exitCode: 1,
      stdout: "1 failed",
      stderr: "AssertionError",
    });
  });

  // The module runtime's SDK has no ExecError export to check with instanceof.
  it("recognises the error by its fields", () => {
    expect(execFailure({ exitCode: 127, stderr: "not found" })).toEqual({
      exitCode: 127,
      stdout: "",
      stderr: "not found",
    });
  });

  it("rethrows anything that is not a command's failure", () => {
    const lost = new Error("connection to the engine lost");
    expect(() => execFailure(lost)).toThrow(lost);
    expect(() => execFailure({ exitCode: 0 })).toThrow();
    expect(() => execFailure("text")).toThrow();
  });
});
