import { WALLBOARD_DIST } from './load';
import type { BuildResult } from './build';

export type { BuildResult };

/**
 * Builds the wallboard into `outDir` (default dist/). esbuild is a development dependency, so it
 * is loaded only here: a server that serves a finished build never loads it.
 */
export async function buildWallboard(outDir: string = WALLBOARD_DIST): Promise<BuildResult> {
  const { build } = await import('./build');
  return build(outDir);
}
