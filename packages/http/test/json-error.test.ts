import { describe, expect, it } from "vitest";
import { jsonError } from "../src/index";

describe("jsonError", () => {
  it("answers the status with {error: {code, message}} as JSON", async () => {
    const res = jsonError(404, "not_found", "no route for GET /x; valid: GET /health");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({
      error: { code: "not_found", message: "no route for GET /x; valid: GET /health" },
    });
  });
});
