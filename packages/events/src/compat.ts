import type avro from 'avsc';
import type { SchemaVersion } from './schema.js';

export interface CompatProblem {
  from: number;
  to: number;
  problem: string;
}

/**
 * docs/architecture.md, "Packages and services" (Messages): schemas evolve by adding optional fields only, so every version must read
 * every other (backward and forward). Checked pairwise, since consumers may lag writers
 * by more than one version.
 */
export function checkCompatibility(versions: SchemaVersion[]): CompatProblem[] {
  const problems: CompatProblem[] = [];
  for (const a of versions) {
    for (const b of versions) {
      if (a === b) continue;
      try {
        b.type.createResolver(a.type);
      } catch (err) {
        problems.push({ from: a.version, to: b.version, problem: `v${b.version} cannot read v${a.version}: ${(err as Error).message}` });
      }
      if (a.version < b.version) problems.push(...addedFieldsWithoutDefault(a, b));
    }
  }
  return problems;
}

function addedFieldsWithoutDefault(older: SchemaVersion, newer: SchemaVersion): CompatProblem[] {
  const oldNames = new Set(fields(older.type).map((f) => f.name));
  return fields(newer.type)
    .filter((f) => !oldNames.has(f.name) && f.defaultValue() === undefined)
    .map((f) => ({ from: older.version, to: newer.version, problem: `field ${f.name} added in v${newer.version} without a default` }));
}

function fields(t: avro.Type): avro.types.Field[] {
  return (t as avro.types.RecordType).fields;
}
