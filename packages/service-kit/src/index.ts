// What every Switchboard service process shares: logging, Prometheus metrics, the HTTP server,
// the component lifecycle, env parsing with the common settings, and tenant resolution (header
// or API key) for requests.

// logging and metrics
export { createLogger } from './logger';
export { createMetricsRegistry, sharedMetric } from './metrics';

// HTTP and lifecycle
export { HttpServer, UNMATCHED_ROUTE } from './http';
export { Lifecycle, type Component } from './lifecycle';
export {
  AUTH_ERRORS, ERROR_REF, TENANT_HEADER, errorBodySchema, errorResponse, jsonResponse, jsonSchema, listParam, openApiDocument, paramsOf, pathParam, processFragment,
  type JsonSchema, type OpenApiFragment, type OpenApiOperation, type OpenApiParameter, type OpenApiPaths,
} from './openapi';

// outbound requests to addresses tenants choose
export { OutboundRefused, addressProblem, createOutboundClient, maskUrl, parseCidrList, urlProblem, type Cidr, type OutboundClient } from './outbound';

// configuration
export { REPO_ROOT, parseEnv, portSchema, stateDirSchema } from './config';
export { commonEnvSchema } from './runtime';

// tenants and API keys
export {
  HttpError,
  apiKeyTenantResolver,
  hashApiKey,
  headerTenantResolver,
  newApiKey,
  tenantResolverFromEnv,
  type TenantResolver,
} from './tenant';
