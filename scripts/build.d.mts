// Types of scripts/build.mjs for the tests that import it.
/** service name → its entry point, from the repository root */
export const ENTRIES: Record<string, string>;
/** Compiles the named entry points (all by default) into dist/<name>.mjs. */
export function buildServices(names?: string[]): Promise<void>;
