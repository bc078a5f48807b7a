import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const checkpointSchema = z.object({
  file: z.string(),
  format: z.string(),
  tenant: z.string(),
  size: z.number(),
  mtimeMs: z.number(),
  /** records read and acknowledged by Kafka (published or dead-lettered) */
  records: z.number().int().min(0),
  done: z.boolean(),
  updatedAt: z.string(),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

/**
 * Progress of one (file, format, tenant), written only after Kafka acknowledged the records
 * it counts, so a run interrupted at any moment resumes without skipping anything; records
 * sent but not yet checkpointed are sent again, which their deterministic event ids make
 * harmless. A file that changed since (size or mtime) starts over, for the same reason.
 */
export class CheckpointStore {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private pathOf(file: string, format: string, tenant: string): string {
    const key = createHash('sha256').update(`${resolve(file)}\u0000${format}\u0000${tenant}`).digest('hex').slice(0, 32);
    return join(this.dir, `${key}.json`);
  }

  load(file: string, format: string, tenant: string): Checkpoint | null {
    const p = this.pathOf(file, format, tenant);
    if (!existsSync(p)) return null;
    const parsed = checkpointSchema.safeParse(JSON.parse(readFileSync(p, 'utf8')));
    if (!parsed.success) return null;
    const st = statSync(file);
    if (parsed.data.size !== st.size || parsed.data.mtimeMs !== st.mtimeMs) return null;
    return parsed.data;
  }

  save(file: string, format: string, tenant: string, records: number, done: boolean): void {
    const st = statSync(file);
    const cp: Checkpoint = { file: resolve(file), format, tenant, size: st.size, mtimeMs: st.mtimeMs, records, done, updatedAt: new Date().toISOString() };
    const p = this.pathOf(file, format, tenant);
    // write-then-rename: a crash mid-write leaves the previous checkpoint, never half a file
    writeFileSync(`${p}.tmp`, JSON.stringify(cp));
    renameSync(`${p}.tmp`, p);
  }
}
