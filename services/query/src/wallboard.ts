import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WALLBOARD_DIST, loadWallboard, type WallboardBuild, type WallboardFile } from '@switchboard/wallboard';

export interface WallboardRouteDeps {
  /** the build to serve (default: packages/wallboard/dist, where `npm start` builds it) */
  dir?: string;
}

// The page reads the API of its own origin only; uPlot sets inline styles on its elements.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'";

/**
 * The wallboard at `/` (docs/wallboard.md). Assets are named by their content hash, so they are
 * cached for a year and never revalidated; index.html names them, so it is revalidated on every
 * load (`no-cache` with an ETag: a 304 while the build is the same). The page is public — it
 * holds no data; every number comes from the API, under the caller's key.
 */
export function registerWallboardRoutes(app: FastifyInstance, deps: WallboardRouteDeps = {}): void {
  const dir = deps.dir ?? WALLBOARD_DIST;
  // read on first use, and again whenever index.html is replaced (`npm run build:wallboard`
  // while the node runs: the next page load gets the new build; a build is swapped in whole)
  let build: WallboardBuild | null = null;
  let builtAt = -1;
  const current = (check: boolean) => {
    if (check || !build) {
      let mtime = -1;
      try {
        mtime = statSync(join(dir, 'index.html')).mtimeMs;
      } catch {
        // not built (yet)
      }
      if (mtime !== builtAt) {
        build = mtime < 0 ? null : loadWallboard(dir);
        builtAt = mtime;
      }
    }
    return build;
  };

  const send = (req: FastifyRequest, reply: FastifyReply, f: WallboardFile, cacheControl: string) => {
    reply.header('cache-control', cacheControl).header('etag', f.etag).header('x-content-type-options', 'nosniff');
    const match = req.headers['if-none-match'];
    if (typeof match === 'string' && match.split(',').some((m) => m.trim().replace(/^W\//, '') === f.etag)) return reply.code(304).send();
    return reply.type(f.contentType).send(f.body);
  };

  // a page, not an API route: outside the OpenAPI document (HttpServer.pages())
  const page = { config: { page: true } };
  app.get('/', page, async (req, reply) => {
    const b = current(true);
    if (!b) return reply.code(503).header('cache-control', 'no-store').send({ error: 'the wallboard is not built: run `npm run build:wallboard` (npm start, npm test and the Docker image build it)' });
    reply.header('content-security-policy', CSP).header('referrer-policy', 'no-referrer');
    return send(req, reply, b.index, 'no-cache');
  });

  app.get<{ Params: { file: string } }>('/assets/:file', page, async (req, reply) => {
    const f = current(false)?.assets.get(req.params.file);
    if (!f) return reply.code(404).header('cache-control', 'no-store').send({ error: `no wallboard asset "${req.params.file}" (the page may be older than the build: reload it)` });
    return send(req, reply, f, 'public, max-age=31536000, immutable');
  });
}
