/** Replaces every occurrence of each secret value with `***`, so wrangler output can be shown. */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const values = secrets.filter((secret) => secret.length >= 4);
  return (text) => values.reduce((result, secret) => result.split(secret).join("***"), text);
}
