import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The repository root, for default state and schema paths. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Parses env into a typed config once, at the edge; a bad variable stops the process with its name. */
export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const r = schema.safeParse(env);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`invalid configuration:\n${lines}`);
  }
  return r.data;
}

export const brokersSchema = z
  .string()
  .default('127.0.0.1:9092')
  .transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean));

export const stateDirSchema = z.string().default(join(REPO_ROOT, '.state'));

export const portSchema = (def: number) => z.coerce.number().int().min(0).max(65535).default(def);
