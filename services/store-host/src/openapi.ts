import type { OpenApiFragment, OpenApiParameter } from '@switchboard/service-kit';

// The store host's part of the OpenAPI document (docs/api.md, "The contract"). It speaks
// ClickHouse's HTTP interface, so the drivers that talk to a ClickHouse server work
// unchanged: its errors are ClickHouse's (text, with X-ClickHouse-Exception-Code), the one
// exception to the shared error shape of the other services. Every error carries its code in
// the X-ClickHouse-Exception-Code header.

const q = (name: string, description: string): OpenApiParameter => ({ name, in: 'query', required: false, description, schema: { type: 'string' } });
const PARAMS: OpenApiParameter[] = [
  q('query', 'the statement (or its first part, the rest in a POST body)'),
  q('database', 'the default database of the statement'),
  q('default_format', 'the answer format when the statement names none (TabSeparated by default)'),
  q('query_id', 'an id for the statement'),
  q('user', 'the user (also X-ClickHouse-User or Basic auth)'),
  q('password', 'the password (also X-ClickHouse-Key or Basic auth)'),
];
const text = (description: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });
// the statuses ClickHouse's server gives its error codes (errors.ts keeps the same mapping)
const RESPONSES = {
  '200': { description: 'the answer, in the requested format', content: { '*/*': { schema: { type: 'string' } } } },
  '400': text('a statement that cannot be parsed or run as written (SYNTAX_ERROR, TYPE_MISMATCH, …)'),
  '401': text('a password is required'),
  '403': text('wrong user or password, or a statement the store host refuses (a table function that reaches outside)'),
  '404': text('an unknown table, function, column, setting or format'),
  '408': text('the statement ran out of time'),
  '411': text('a POST without a length'),
  '413': text('the statement or its body is too large'),
  '415': text('a content type or encoding the store host does not read'),
  '500': text('the engine failed'),
  '501': text('a feature the store host does not have'),
  '503': text('the engine is not ready'),
};
const SERVERS = [{ url: 'http://127.0.0.1:8123', description: '`npm run store-host` (STORE_HOST_PORT)' }];

export function storeHostOpenApi(): OpenApiFragment {
  return {
    tag: { name: 'store-host', description: 'ClickHouse\'s HTTP interface over the embedded store (the store host): docs/architecture.md' },
    paths: {
      '/': {
        get: { operationId: 'clickhouseGet', summary: 'Run a read-only statement (ClickHouse HTTP interface)', parameters: PARAMS, responses: RESPONSES, security: [{}], servers: SERVERS },
        post: {
          operationId: 'clickhousePost', summary: 'Run a statement, its text or INSERT data in the body (ClickHouse HTTP interface)', parameters: PARAMS,
          requestBody: { required: false, content: { '*/*': { schema: { type: 'string' } } } }, responses: RESPONSES, security: [{}], servers: SERVERS,
        },
      },
      '/ping': {
        get: { operationId: 'clickhousePing', summary: 'ClickHouse\'s liveness answer: "Ok."', security: [{}], responses: { '200': text('Ok.') }, servers: SERVERS },
      },
    },
  };
}
