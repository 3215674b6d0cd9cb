import * as z from "zod";

export const CreateApiKey = z.object({ name: z.string().trim().min(1).max(100) });
/** Any string may be presented; only its shape decides whether the database is asked. */
export const PresentedKey = z.string().max(1024);

export type CreateApiKeyInput = z.input<typeof CreateApiKey>;
export type Verification = { valid: true; keyId: string; name: string } | { valid: false };
