// Vite's `?raw` suffix imports a file's text; used to check wrangler.jsonc.
declare module "*?raw" {
  const text: string;
  export default text;
}
