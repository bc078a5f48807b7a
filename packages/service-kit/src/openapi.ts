import { z } from 'zod';

// The pieces every service's part of the OpenAPI 3.1 document is made of (docs/api.md,
// "The contract"). Schemas come from the zod schemas the routes validate with, through
// zod v4's toJSONSchema (JSON Schema 2020-12, the dialect of OpenAPI 3.1), so a field added
// in code is in the document without anyone editing it. Each service describes its routes
// as a fragment; HttpServer serves the fragments registered on it as one document at
// /v1/openapi.json, and `npm run docs` writes every service's into docs/openapi.json.

export type JsonSchema = Record<string, unknown>;

export interface OpenApiParameter {
  name: string;
  in: 'query' | 'path' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
  style?: 'form' | 'simple';
  explode?: boolean;
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags?: string[];
  parameters?: OpenApiParameter[];
  requestBody?: Record<string, unknown>;
  responses: Record<string, unknown>;
  security?: Record<string, string[]>[];
  servers?: { url: string; description?: string }[];
}

export type OpenApiPaths = Record<string, Partial<Record<'get' | 'put' | 'post' | 'delete', OpenApiOperation>>>;

/** One service's routes: its tag and paths. */
export interface OpenApiFragment {
  tag: { name: string; description: string };
  paths: OpenApiPaths;
}

/** The JSON Schema of a zod schema, as a request (input) or an answer (output) has it. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** A comma-separated list parameter (`a,b,c`, or repeated `a=1&a=2`): form style, not exploded. */
export function listParam(name: string, items: z.ZodType, description: string, required = false): OpenApiParameter {
  return { name, in: 'query', required, description, style: 'form', explode: false, schema: jsonSchema(z.array(items).min(required ? 1 : 0)) };
}

/** One query parameter per field of a zod object, required when it has neither a default nor optional(). */
export function paramsOf(shape: Record<string, z.ZodType>, describe: Record<string, string> = {}): OpenApiParameter[] {
  return Object.entries(shape).map(([name, field]) => {
    const schema = jsonSchema(field);
    const description = describe[name] ?? (typeof schema.description === 'string' ? schema.description : undefined);
    delete schema.description;
    return { name, in: 'query', required: !field.safeParse(undefined).success, ...(description ? { description } : {}), schema };
  });
}

export const pathParam = (name: string, description: string, schema: JsonSchema = { type: 'string' }): OpenApiParameter => ({ name, in: 'path', required: true, description, schema });

/** An answer with a JSON body of this schema. */
export const jsonResponse = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema: jsonSchema(schema, 'output') } },
});

/** The one error shape of every service (ErrorBody in http.ts), with room for a route's own members. */
export const errorBodySchema = z.looseObject({
  error: z.string().describe('what is wrong, as a sentence'),
  details: z.array(z.object({
    field: z.string().optional().describe('dotted path of a body field'),
    param: z.string().optional().describe('a query or path parameter'),
    reason: z.string(),
  })).optional().describe('every problem at once, when there are several things to fix'),
}).describe('the error shape of every 4xx and 5xx answer of every service');

export const ERROR_REF = '#/components/schemas/Error';
/** An error answer: the shared shape, described for this route. */
export const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: ERROR_REF } } } });

/** The answers every route under tenant resolution can give besides its own. */
export const AUTH_ERRORS = {
  '401': errorResponse('missing or unknown API key (AUTH_MODE=api_key)'),
  '403': errorResponse('X-Tenant-Id names a tenant the API key does not belong to'),
};

export const TENANT_HEADER: OpenApiParameter = {
  name: 'X-Tenant-Id', in: 'header', required: false,
  description: 'the tenant while AUTH_MODE=off (default `demo`); with API keys, the key\'s tenant (another one is refused with 403)',
  schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' },
};

const PUBLIC = [{}];

/** /healthz, /readyz and /metrics: served by every HttpServer. */
export function processFragment(): OpenApiFragment {
  return {
    tag: { name: 'process', description: 'Liveness, readiness and Prometheus metrics: the same on every service' },
    paths: {
      '/healthz': {
        get: { operationId: 'healthz', summary: 'The process is alive', security: PUBLIC, responses: { '200': jsonResponse(z.object({ status: z.literal('ok') }), 'alive') } },
      },
      '/readyz': {
        get: {
          operationId: 'readyz',
          summary: 'The process should get traffic (its dependencies answering; not shutting down)',
          security: PUBLIC,
          responses: {
            '200': jsonResponse(z.object({ status: z.literal('ready') }), 'ready'),
            '503': jsonResponse(z.object({ status: z.enum(['not ready', 'draining']), failing: z.record(z.string(), z.string()).optional() }), 'not ready (what is failing, and why), or draining after SIGTERM'),
          },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          summary: 'Prometheus metrics (text exposition format)',
          security: PUBLIC,
          responses: { '200': { description: 'the process\'s metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      '/v1/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          summary: 'This document: the routes this process serves',
          security: PUBLIC,
          responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
    },
  };
}

/** The OpenAPI 3.1 document of a set of fragments (their paths merged; a path two fragments both define is an error). */
export function openApiDocument(title: string, fragments: readonly OpenApiFragment[]): Record<string, unknown> {
  const paths: OpenApiPaths = {};
  for (const f of fragments) {
    for (const [path, ops] of Object.entries(f.paths)) {
      const into = (paths[path] ??= {});
      for (const [method, op] of Object.entries(ops) as [keyof typeof into, OpenApiOperation][]) {
        if (into[method]) throw new Error(`${method.toUpperCase()} ${path} is described twice`);
        into[method] = { ...op, tags: [f.tag.name] };
      }
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title,
      version: '1',
      description: 'Switchboard: contact-center KPIs computed exactly from the event stream. Every error answer has the shape of `Error`.',
    },
    servers: [{ url: 'http://127.0.0.1:8080', description: '`npm start` (every service in one process)' }],
    tags: fragments.map((f) => f.tag).filter((t, i, all) => all.findIndex((o) => o.name === t.name) === i),
    components: {
      schemas: { Error: jsonSchema(errorBodySchema, 'output') },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API key bound to one tenant (AUTH_MODE=api_key)' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'the same API key, in its own header' },
      },
    },
    // auth is off by default (npm start): then no key is needed
    security: [{}, { bearer: [] }, { apiKey: [] }],
    paths,
  };
}
