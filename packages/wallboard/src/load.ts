import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm start`, `npm test` and the Docker image build the wallboard to. */
export const WALLBOARD_DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

export interface WallboardFile {
  body: Buffer;
  contentType: string;
  /** a strong ETag from the content */
  etag: string;
}

export interface WallboardBuild {
  /** index.html: names the hashed assets, so it is revalidated on every load */
  index: WallboardFile;
  /** assets/<name>-<hash>.<ext> by file name: never change under their name */
  assets: ReadonlyMap<string, WallboardFile>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

function file(path: string): WallboardFile {
  const body = readFileSync(path);
  return {
    body,
    contentType: TYPES[extname(path)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
  };
}

/** The build in `dir`, read into memory (a few tens of kB), or null when there is none. */
export function loadWallboard(dir: string = WALLBOARD_DIST): WallboardBuild | null {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) return null;
  const assetsDir = join(dir, 'assets');
  const names = existsSync(assetsDir) ? readdirSync(assetsDir) : [];
  return { index: file(index), assets: new Map(names.map((n) => [n, file(join(assetsDir, n))])) };
}
