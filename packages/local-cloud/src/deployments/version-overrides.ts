// `Cloudflare-Workers-Version-Overrides: my-worker="<version id>"` sends a request to a chosen
// version of a worker's current deployment. The header is an RFC 8941 Dictionary whose keys are
// worker names and whose values must be Strings (developers.cloudflare.com/workers/
// versions-and-deployments/version-overrides/). On Cloudflare a header that is not a valid
// Dictionary, or names a version outside the deployment, is ignored: the request is routed by
// the percentages. Parsing follows RFC 8941 section 4.2.2; members whose value is not a String
// make the header invalid here, since no override can be expressed with them.

export const versionOverridesHeader = "cloudflare-workers-version-overrides";

class Scanner {
  index = 0;

  constructor(readonly text: string) {}

  get done(): boolean {
    return this.index >= this.text.length;
  }

  peek(): string {
    return this.text[this.index] ?? "";
  }

  skip(pattern: RegExp): void {
    while (!this.done && pattern.test(this.peek())) this.index++;
  }

  /** `key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )` */
  key(): string | undefined {
    if (!/[a-z*]/.test(this.peek())) return undefined;
    const start = this.index;
    this.skip(/[a-z0-9_\-.*]/);
    return this.text.slice(start, this.index);
  }

  /** `sf-string = DQUOTE *chr DQUOTE`, with `\"` and `\\` the only escapes. */
  string(): string | undefined {
    if (this.peek() !== '"') return undefined;
    this.index++;
    let value = "";
    while (!this.done) {
      const char = this.peek();
      this.index++;
      if (char === '"') return value;
      if (char === "\\") {
        const escaped = this.peek();
        if (escaped !== '"' && escaped !== "\\") return undefined;
        value += escaped;
        this.index++;
      } else if (char < " " || char > "~") {
        return undefined;
      } else {
        value += char;
      }
    }
    return undefined;
  }

  /** Parameters (`;key` or `;key="value"`) are allowed after any member; they carry nothing here. */
  parameters(): boolean {
    while (this.peek() === ";") {
      this.index++;
      this.skip(/ /);
      if (this.key() === undefined) return false;
      if (this.peek() === "=") {
        this.index++;
        if (this.string() === undefined) return false;
      }
    }
    return true;
  }
}

/** Worker name -> version id, or undefined when the header is not a valid Dictionary of Strings. */
export function parseVersionOverrides(header: string): Map<string, string> | undefined {
  const scanner = new Scanner(header.trim());
  const overrides = new Map<string, string>();
  while (!scanner.done) {
    const key = scanner.key();
    if (key === undefined || scanner.peek() !== "=") return undefined;
    scanner.index++;
    const value = scanner.string();
    if (value === undefined || !scanner.parameters()) return undefined;
    // A repeated key keeps its last value (RFC 8941).
    overrides.set(key, value);
    scanner.skip(/[ \t]/);
    if (scanner.done) break;
    if (scanner.peek() !== ",") return undefined;
    scanner.index++;
    scanner.skip(/[ \t]/);
    // A trailing comma makes the whole Dictionary invalid.
    if (scanner.done) return undefined;
  }
  return overrides;
}
