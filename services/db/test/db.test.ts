import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("db", () => {
  it("answers health with a real query", async () => {
    const res = await exports.default.fetch("http://db/health");
    expect(await res.json()).toMatchObject({ service: "db", status: "ok" });
    expect(env.DB).toBeDefined();
  });
});
