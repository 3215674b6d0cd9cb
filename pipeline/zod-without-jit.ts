import * as z from "zod";

// Imported first by cli.ts, before any module builds a schema: zod decides whether an object
// schema compiles a parser of its own when the schema is built. A CLI run parses each of its few
// dozen schemas a handful of times, and compiling cost more than it saved.
z.config({ jitless: true });
