import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { VENDORS, type Vendor } from '@switchboard/adapters';

const TENANT_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * One vendor account of one tenant: the secret the vendor signs or authenticates its
 * deliveries with (Twilio auth token, Zendesk webhook signing secret, Firehose access key,
 * the Genesys relay's shared token). HMAC checks need the secret itself, so unlike API keys
 * it cannot be stored hashed: the file belongs with the deployment's other secrets.
 */
const credential = z.strictObject({
  tenant: z.string().regex(TENANT_RE, 'tenant must be 1–128 letters, digits, _ . -'),
  vendor: z.enum(VENDORS),
  secret: z.string().min(8, 'secret must be at least 8 characters'),
  name: z.string().optional(),
  /** mapping options of the vendor's adapter (survey attribute names, topic field, …) */
  options: z.record(z.string(), z.unknown()).optional(),
});
export const adapterCredentialsSchema = z.array(credential);
export type AdapterCredential = z.infer<typeof credential>;

export function loadAdapterCredentials(path: string): AdapterCredential[] {
  const text = readFileSync(path, 'utf8');
  const raw: unknown = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  const list = raw && typeof raw === 'object' && !Array.isArray(raw) && 'credentials' in raw ? (raw as { credentials: unknown }).credentials : raw;
  const parsed = adapterCredentialsSchema.safeParse(list);
  if (!parsed.success) {
    throw new Error(`invalid adapter credentials file ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const seen = new Set<string>();
  for (const c of parsed.data) {
    const k = `${c.vendor}\u0000${c.secret}`;
    // the secret identifies the tenant of a signed delivery: two tenants sharing one would be ambiguous
    if (seen.has(k)) throw new Error(`invalid adapter credentials file ${path}: two entries for ${c.vendor} share one secret`);
    seen.add(k);
  }
  return parsed.data;
}

export function credentialsFor(all: readonly AdapterCredential[], vendor: Vendor): AdapterCredential[] {
  return all.filter((c) => c.vendor === vendor);
}
