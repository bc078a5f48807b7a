/**
 * Errors as a ClickHouse server reports them, so @clickhouse/client raises the same
 * ClickHouseError {code, type, message} it would against a server: the HTTP status, the
 * `X-ClickHouse-Exception-Code` header and a `Code: N. DB::Exception: … (TYPE)` body.
 */
export class ClickHouseException extends Error {
  constructor(
    readonly code: number,
    readonly type: string,
    message: string,
    /** the engine's own text, kept verbatim; ours are built from `message` */
    readonly text = `Code: ${code}. DB::Exception: ${message}. (${type})`,
  ) {
    super(message);
  }

  get status(): number {
    return httpStatusOf(this.type);
  }
}

// The codes the store host raises itself (numbers as the engine names them: errorCodeToName).
export const BAD_ARGUMENTS = [36, 'BAD_ARGUMENTS'] as const;
export const NOT_IMPLEMENTED = [48, 'NOT_IMPLEMENTED'] as const;
export const SYNTAX_ERROR = [62, 'SYNTAX_ERROR'] as const;
export const UNKNOWN_COMPRESSION_METHOD = [89, 'UNKNOWN_COMPRESSION_METHOD'] as const;
export const CHECKSUM_DOESNT_MATCH = [40, 'CHECKSUM_DOESNT_MATCH'] as const;
export const CANNOT_DECOMPRESS = [271, 'CANNOT_DECOMPRESS'] as const;
export const READONLY = [164, 'READONLY'] as const;
export const TOO_MANY_ROWS_OR_BYTES = [396, 'TOO_MANY_ROWS_OR_BYTES'] as const;
export const TOO_MANY_SIMULTANEOUS_QUERIES = [202, 'TOO_MANY_SIMULTANEOUS_QUERIES'] as const;
export const QUERY_IS_TOO_LARGE = [229, 'QUERY_IS_TOO_LARGE'] as const;
export const QUERY_WAS_CANCELLED = [394, 'QUERY_WAS_CANCELLED'] as const;
export const ACCESS_DENIED = [497, 'ACCESS_DENIED'] as const;
export const AUTHENTICATION_FAILED = [516, 'AUTHENTICATION_FAILED'] as const;
export const UNKNOWN_EXCEPTION = [1002, 'UNKNOWN_EXCEPTION'] as const;

export function clickHouseError([code, type]: readonly [number, string], message: string): ClickHouseException {
  return new ClickHouseException(code, type, message);
}

const ENGINE_CODE = /^Code: (\d+)\./;
const ENGINE_TYPE = /\(([A-Z][A-Z0-9_]{2,})\)/g;

/** An error from the engine keeps its own code and text; anything else is UNKNOWN_EXCEPTION. */
export function toClickHouseException(err: unknown): ClickHouseException {
  if (err instanceof ClickHouseException) return err;
  const text = err instanceof Error ? err.message : String(err);
  const code = ENGINE_CODE.exec(text.trim());
  if (code) {
    // the name is the last (UPPER_CASE) group: messages may quote others before it
    const type = [...text.matchAll(ENGINE_TYPE)].pop()?.[1] ?? UNKNOWN_EXCEPTION[1];
    return new ClickHouseException(Number(code[1]), type, text, text.trim());
  }
  return clickHouseError(UNKNOWN_EXCEPTION, `store host: ${text.replace(/\.$/, '')}`);
}

// ClickHouse's own mapping (src/Server/HTTP/exceptionCodeToHTTPStatus.cpp), by error name.
const STATUS_BY_TYPE: Record<string, number> = {};
const statuses: [number, string[]][] = [
  [401, ['REQUIRED_PASSWORD']],
  [403, ['READONLY', 'UNKNOWN_USER', 'WRONG_PASSWORD', 'AUTHENTICATION_FAILED', 'SET_NON_GRANTED_ROLE', 'ACCESS_DENIED']],
  [400, ['BAD_ARGUMENTS', 'CANNOT_COMPILE_REGEXP', 'CANNOT_PARSE_TEXT', 'CANNOT_PARSE_ESCAPE_SEQUENCE', 'CANNOT_PARSE_QUOTED_STRING',
    'CANNOT_PARSE_DATE', 'CANNOT_PARSE_DATETIME', 'CANNOT_PARSE_NUMBER', 'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING', 'CANNOT_PARSE_IPV4',
    'CANNOT_PARSE_IPV6', 'CANNOT_PARSE_INPUT_ASSERTION_FAILED', 'CANNOT_PARSE_UUID', 'DUPLICATE_COLUMN', 'ILLEGAL_COLUMN',
    'UNKNOWN_ELEMENT_IN_AST', 'UNKNOWN_TYPE_OF_AST_NODE', 'THERE_IS_NO_COLUMN', 'TOO_DEEP_AST', 'TOO_BIG_AST', 'UNEXPECTED_AST_STRUCTURE',
    'SYNTAX_ERROR', 'INCORRECT_DATA', 'TYPE_MISMATCH', 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE']],
  [404, ['UNKNOWN_TABLE', 'UNKNOWN_FUNCTION', 'UNKNOWN_IDENTIFIER', 'UNKNOWN_TYPE', 'UNKNOWN_STORAGE', 'UNKNOWN_DATABASE', 'UNKNOWN_SETTING',
    'UNKNOWN_DIRECTION_OF_SORTING', 'UNKNOWN_AGGREGATE_FUNCTION', 'UNKNOWN_FORMAT', 'UNKNOWN_DATABASE_ENGINE', 'UNKNOWN_TYPE_OF_QUERY', 'UNKNOWN_ROLE']],
  [413, ['QUERY_IS_TOO_LARGE']],
  [501, ['NOT_IMPLEMENTED']],
  [503, ['TOO_MANY_SIMULTANEOUS_QUERIES', 'SOCKET_TIMEOUT', 'CANNOT_OPEN_FILE', 'CANNOT_SCHEDULE_TASK']],
  [411, ['HTTP_LENGTH_REQUIRED']],
  [408, ['TIMEOUT_EXCEEDED']],
  [415, ['UNSUPPORTED_MEDIA_TYPE']],
];
for (const [status, types] of statuses) for (const t of types) STATUS_BY_TYPE[t] = status;

export function httpStatusOf(type: string): number {
  return STATUS_BY_TYPE[type] ?? 500;
}
