import type { WriterSchemaSource } from './codec.js';

export interface SchemaRegistryConfig {
  /** base URL of a Confluent-compatible registry API, e.g. http://host:8080/apis/ccompat/v7 */
  url: string;
  username?: string;
  password?: string;
  /** per request (default 10 s) */
  timeoutMs?: number;
}

/** The registry answered, but not with what was asked (bad credentials, an incompatible schema…). */
export class SchemaRegistryError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = 'SchemaRegistryError';
  }
}

/**
 * A client of the Confluent Schema Registry REST API (also served by Apicurio Registry at
 * /apis/ccompat/v7 and by Karapace): the two calls a producer and a consumer need. Schemas by
 * id are immutable, so answers are cached for the life of the client.
 */
export class SchemaRegistryClient implements WriterSchemaSource {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly byId = new Map<number, string>();

  constructor(private readonly cfg: SchemaRegistryConfig) {
    this.base = cfg.url.replace(/\/+$/, '');
    this.headers = { accept: 'application/vnd.schemaregistry.v1+json, application/json' };
    if (cfg.username !== undefined) {
      this.headers.authorization = `Basic ${Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64')}`;
    }
  }

  /**
   * Registers `schema` under `subject` (an identical schema already there is not a new
   * version) and returns its id. TopicNameStrategy: the subject of a topic's values is
   * `<topic>-value`.
   */
  async register(subject: string, schema: string): Promise<number> {
    const res = await this.request('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schema, schemaType: 'AVRO' });
    const body = (await res.json()) as { id?: unknown };
    if (typeof body.id !== 'number') throw new SchemaRegistryError(`registering ${subject}: no id in the answer ${JSON.stringify(body)}`, res.status);
    this.byId.set(body.id, schema);
    return body.id;
  }

  async schemaById(id: number): Promise<string | null> {
    const cached = this.byId.get(id);
    if (cached !== undefined) return cached;
    const res = await this.request('GET', `/schemas/ids/${id}`, undefined, [404]);
    if (res.status === 404) return null;
    const body = (await res.json()) as { schema?: unknown; schemaType?: unknown };
    if (typeof body.schema !== 'string') throw new SchemaRegistryError(`schema id ${id}: no schema in the answer`, res.status);
    if (body.schemaType !== undefined && body.schemaType !== 'AVRO') return null;
    this.byId.set(id, body.schema);
    return body.schema;
  }

  private async request(method: string, path: string, body?: unknown, accepted: number[] = []): Promise<Response> {
    const res = await fetch(this.base + path, {
      method,
      headers: body === undefined ? this.headers : { ...this.headers, 'content-type': 'application/vnd.schemaregistry.v1+json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.cfg.timeoutMs ?? 10_000),
    });
    if (res.ok || accepted.includes(res.status)) return res;
    const text = await res.text().catch(() => '');
    throw new SchemaRegistryError(`schema registry ${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`, res.status);
  }
}

/** The subject of a topic's values under the TopicNameStrategy. */
export const valueSubject = (topic: string) => `${topic}-value`;
