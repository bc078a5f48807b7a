import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

// Answers checked against an OpenAPI 3.1 document, the way a generated client would read
// them: the operation found by method and path template, the schema by status and content
// type, `$ref`s resolved inside the document.

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface OpenApiAnswer {
  method: string;
  /** the request path, without the query */
  path: string;
  status: number;
  contentType: string | null;
  body: unknown;
}

const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

export class OpenApiChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly templates: { template: string; re: RegExp }[];
  /** operations ("GET /v1/kpis") with the statuses answered and checked */
  readonly seen = new Map<string, Set<number>>();

  constructor(private readonly doc: Json) {
    this.ajv.addSchema(doc, 'openapi');
    // concrete paths before templates, as OpenAPI matches them
    this.templates = Object.keys(doc.paths as Json)
      .sort((a, b) => Number(a.includes('{')) - Number(b.includes('{')))
      .map((template) => ({ template, re: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`) }));
  }

  /** The documented path template a request path falls under, if any. */
  templateOf(path: string): string | undefined {
    return this.templates.find((t) => t.re.test(path))?.template;
  }

  /** Every documented operation, as "METHOD /template". */
  operations(): string[] {
    return Object.entries(this.doc.paths as Json).flatMap(([p, ops]) => Object.keys(ops as Json).map((m) => `${m.toUpperCase()} ${p}`));
  }

  /** The problems of an answer against the document: [] when it conforms. */
  problems(a: OpenApiAnswer): string[] {
    const template = this.templateOf(a.path);
    if (!template) return [`${a.path}: no such path in the document`];
    const method = a.method.toLowerCase();
    const op = (this.doc.paths as Json)[template][method] as Json | undefined;
    if (!op) return [`${a.method} ${template}: no such operation in the document`];
    const key = `${a.method.toUpperCase()} ${template}`;
    const status = String(a.status);
    const response = op.responses[status] ?? op.responses[`${status[0]}XX`] ?? op.responses.default;
    if (!response) return [`${key}: status ${status} is not documented (documented: ${Object.keys(op.responses).join(', ')})`];
    (this.seen.get(key) ?? this.seen.set(key, new Set()).get(key)!).add(a.status);
    const content = response.content as Json | undefined;
    if (!content) return a.body === '' || a.body === undefined || a.body === null ? [] : [`${key} ${status}: documented without a body, answered with one`];
    const type = (a.contentType ?? '').split(';')[0]!.trim();
    const mediaKey = type in content ? type : '*/*' in content ? '*/*' : undefined;
    if (!mediaKey) return [`${key} ${status}: content type "${type}" is not documented (documented: ${Object.keys(content).join(', ')})`];
    if (!mediaKey.includes('json')) return [];
    const ref = `openapi#/paths/${escape(template)}/${method}/responses/${status}/content/${escape(mediaKey)}/schema`;
    let validate = this.compiled.get(ref);
    if (!validate) this.compiled.set(ref, (validate = this.ajv.compile({ $ref: ref })));
    return validate(a.body) ? [] : (validate.errors ?? []).slice(0, 10).map((e) => `${key} ${status}: ${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`);
  }

  /** The problems of a body against the document's shared error shape (components/schemas/Error). */
  errorShapeProblems(body: unknown): string[] {
    const ref = 'openapi#/components/schemas/Error';
    let validate = this.compiled.get(ref);
    if (!validate) this.compiled.set(ref, (validate = this.ajv.compile({ $ref: ref })));
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message}`);
  }

  /** fetch, then check the answer; returns the response and its parsed body. */
  async fetch(url: string, init: RequestInit = {}): Promise<{ status: number; body: any; problems: string[] }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const r = await fetch(url, init);
    const text = await r.text();
    const contentType = r.headers.get('content-type');
    let body: unknown = text;
    if (contentType?.includes('json') && text !== '') body = JSON.parse(text);
    const problems = this.problems({ method: init.method ?? 'GET', path: new URL(url).pathname, status: r.status, contentType, body });
    return { status: r.status, body, problems };
  }
}
