import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export interface BuildResult {
  dir: string;
  /** paths relative to dir */
  files: string[];
  bytes: number;
  ms: number;
}

const WEB = join(dirname(fileURLToPath(import.meta.url)), '..', 'web');

/**
 * One esbuild pass over web/main.ts (uPlot and the CSS bundled in): minified JS and CSS named
 * by their content hash under assets/, and index.html pointing at them. Written next to the
 * target and swapped in whole, so a server reading the old build never sees half of the new.
 */
export async function build(outDir: string): Promise<BuildResult> {
  const t0 = performance.now();
  const result = await esbuild.build({
    entryPoints: [join(WEB, 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    legalComments: 'eof',
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    outdir: join(outDir, 'assets'),
    write: false,
    logLevel: 'silent',
  });
  const assets = result.outputFiles.map((f) => ({ name: basename(f.path), contents: f.contents }));
  const js = assets.find((a) => a.name.endsWith('.js'));
  const css = assets.find((a) => a.name.endsWith('.css'));
  if (!js || !css) throw new Error(`the wallboard build made ${assets.map((a) => a.name).join(', ')}: expected one .js and one .css`);
  const html = readFileSync(join(WEB, 'index.html'), 'utf8').replace('%JS%', `assets/${js.name}`).replace('%CSS%', `assets/${css.name}`);

  const tmp = `${outDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'assets'), { recursive: true });
  for (const a of assets) writeFileSync(join(tmp, 'assets', a.name), a.contents);
  writeFileSync(join(tmp, 'index.html'), html);
  // another process may swap its own build in between (test files run in parallel): try again
  const olds: string[] = [];
  for (let attempt = 0; ; attempt++) {
    const old = `${outDir}.old-${process.pid}-${attempt}`;
    olds.push(old);
    try {
      renameSync(outDir, old);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // ENOENT: no previous build
    }
    try {
      renameSync(tmp, outDir);
      break;
    } catch (err) {
      if (attempt >= 5 || !['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  }
  for (const old of olds) rmSync(old, { recursive: true, force: true });
  return {
    dir: outDir,
    files: ['index.html', ...assets.map((a) => `assets/${a.name}`)],
    bytes: Buffer.byteLength(html) + assets.reduce((n, a) => n + a.contents.byteLength, 0),
    ms: Math.round(performance.now() - t0),
  };
}
