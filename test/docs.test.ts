import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, KPIS } from '@switchboard/kpi';
import { BLOCKS, FILES, ROOT, committedBlock } from '../scripts/gen-docs';

// The docs against the code (no broker, no ClickHouse):
//  - the generated tables of docs/kpis.md and docs/configuration.md equal what `npm run docs`
//    (scripts/gen-docs.ts) writes from the KPI catalogue and the env schemas;
//  - every KPI that can be null has a row in docs/kpis.md's null rules;
//  - every relative link of README.md and docs/**/*.md names a file that exists (and a heading
//    of it, when the link has an anchor).

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** The first lines where two texts differ, as `- committed` / `+ generated` pairs with their line number. */
function firstDifferences(committed: string, generated: string, max = 5): string[] {
  const a = committed.split('\n');
  const b = generated.split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && out.length < max * 2; i++) {
    if (a[i] === b[i]) continue;
    out.push(`  line ${i + 1} - committed: ${a[i] ?? '(none)'}`, `  line ${i + 1} + generated: ${b[i] ?? '(none)'}`);
  }
  return out;
}

describe('generated docs', () => {
  for (const block of BLOCKS) {
    it(`${block.file} <!-- generated:${block.name} --> is what npm run docs writes`, () => {
      const committed = committedBlock(read(block.file), block);
      const generated = block.render();
      const diff = committed === generated ? [] : firstDifferences(committed, generated);
      expect(diff, `${block.file}, block "${block.name}" drifted from the code; run \`npm run docs\`:\n${diff.join('\n')}`).toEqual([]);
    });
  }

  for (const f of FILES) {
    it(`${f.file} is what npm run docs writes`, () => {
      const generated = f.render();
      const committed = read(f.file);
      const diff = committed === generated ? [] : firstDifferences(committed, generated);
      expect(diff, `${f.file} drifted from the code; run \`npm run docs\`:\n${diff.join('\n')}`).toEqual([]);
    });
  }

  it('docs/kpis.md states the null rule of every KPI that can be null', () => {
    const text = read('docs/kpis.md');
    const start = text.indexOf('## Null rules');
    expect(start, 'docs/kpis.md has a "## Null rules" section').toBeGreaterThan(-1);
    const section = text.slice(start, text.indexOf('\n## ', start + 1));
    const stated = new Set([...section.matchAll(/^\|([^|]*)\|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([a-z0-9_]+)`/g)].map((x) => x[1]!)));
    const nullable = KPIS.filter((k) => {
      const zeros = Object.fromEntries(Object.keys(k.inputs(DEFAULT_OPTIONS)).map((name) => [name, 0]));
      return k.compute(zeros, DEFAULT_OPTIONS) === null;
    }).map((k) => k.id);
    expect(nullable.length).toBeGreaterThan(0);
    expect(nullable.filter((id) => !stated.has(id)), 'KPIs that can be null without a row in docs/kpis.md, "Null rules"').toEqual([]);
  });
});

// ---- links -------------------------------------------------------------------------------

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return markdownFiles(p);
    return name.endsWith('.md') ? [p] : [];
  });
}

/** The text outside fenced code blocks and inline code, where a `[x](y)` is a link. */
function prose(text: string): string {
  return text
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
    .replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const noFences = text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const m of noFences.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = m[1]!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

describe('links in README.md and docs/', () => {
  const files = [join(ROOT, 'README.md'), ...markdownFiles(join(ROOT, 'docs'))];

  it('finds the pages', () => {
    expect(files.map((f) => relative(ROOT, f))).toEqual(expect.arrayContaining(['README.md', 'docs/api.md', 'docs/kpis.md', 'docs/configuration.md']));
  });

  for (const file of files) {
    it(`${relative(ROOT, file)}: every relative link points to a file that exists`, () => {
      const broken: string[] = [];
      for (const m of prose(readFileSync(file, 'utf8')).matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: …
        const [path, anchor] = target.split('#', 2) as [string, string | undefined];
        const dest = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
        if (!existsSync(dest)) {
          broken.push(`${target}: no file ${relative(ROOT, dest)}`);
          continue;
        }
        if (anchor && dest.endsWith('.md') && !anchors(readFileSync(dest, 'utf8')).has(anchor)) {
          broken.push(`${target}: no heading #${anchor} in ${relative(ROOT, dest)}`);
        }
      }
      expect(broken, `broken links in ${relative(ROOT, file)}:\n  ${broken.join('\n  ')}`).toEqual([]);
    });
  }
});
