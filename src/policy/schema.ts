import { z } from 'zod';
import { ApprovalSpec } from '../approval/schema.ts';
import { unknownAcceptCodings } from '../probe/decode.ts';
import { parseDuration } from './duration.ts';
import { jsonSecretRefProblems } from './secret-ref.ts';

/**
 * The policy file format (apiVersion vakt.dev/v1alpha1, kind Policy).
 * Every object is strict: a typo in a safety setting must be an error, never ignored.
 * Field names are a public contract: add fields, never rename them.
 */

/** A secret is never written inline by accident: it names where the value lives. */
export const SecretRef = z
  .union([
    z.strictObject({ env: z.string().min(1).describe('environment variable holding the value') }),
    z.strictObject({
      file: z.string().min(1).describe('file holding the value (trailing newline dropped)'),
    }),
    z.strictObject({ value: z.string().describe('the value itself (for tests and demos only)') }),
  ])
  .describe('a secret: { env: NAME }, { file: PATH } or { value: "..." }');
export type SecretRef = z.infer<typeof SecretRef>;

const Duration = z
  .union([z.string(), z.number()])
  .refine((v) => parseDuration(v) !== undefined, {
    message: 'expected a duration such as 500ms, 10s, 2m or 1h',
  })
  .describe('a duration: 500ms, 10s, 2m, 1h (a bare number is seconds)');

const UrlPath = z
  .string()
  .regex(/^\//, { message: 'expected a path starting with /' })
  .describe('a path on the target, starting with /');

const JsonPointer = z
  .string()
  .regex(/^(\/([^~/]|~[01])*)*$/, { message: 'expected a JSON pointer such as /id or /user/id' })
  .describe('a JSON pointer (RFC 6901) into the response body');

const Login = z
  .strictObject({
    method: z.enum(['POST', 'PUT', 'GET']).default('POST'),
    path: UrlPath,
    json: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('JSON body; any { env | file | value } object inside is resolved as a secret'),
    form: z
      .record(z.string(), z.union([z.string(), SecretRef]))
      .optional()
      .describe('form-encoded body (application/x-www-form-urlencoded)'),
    token: z
      .strictObject({ jsonPointer: JsonPointer })
      .optional()
      .describe(
        'where the login response carries a bearer token; omit to use the session cookie it sets',
      ),
  })
  .refine((l) => !(l.json && l.form), { message: 'give either json or form, not both' });

const Auth = z
  .strictObject({
    bearer: SecretRef.optional().describe('a static bearer token (Authorization: Bearer ...)'),
    headers: z
      .record(z.string(), SecretRef)
      .optional()
      .describe('static headers carrying credentials, e.g. X-Api-Key'),
    cookie: SecretRef.optional().describe('a static Cookie header value, e.g. sid=...'),
    login: Login.optional().describe(
      'log in for a fresh session, again every load.reloginEvery requests',
    ),
  })
  .refine((a) => [a.bearer, a.headers, a.cookie, a.login].filter(Boolean).length === 1, {
    message: 'give exactly one of bearer, headers, cookie or login',
  });

const Tenant = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
    message: 'expected a name of letters, digits, _ . -',
  }),
  identity: z
    .union([z.string().min(1), z.number()])
    .transform(String)
    .describe('what the identity endpoint must report for this tenant'),
  markers: z
    .array(z.string().min(4, { message: 'a marker needs at least 4 characters to be unique' }))
    .default([])
    .describe('strings that belong to this tenant alone (e-mail, address, order ids)'),
  auth: Auth,
});
export type Tenant = z.infer<typeof Tenant>;

/** A JSON value in which any { env | file | value } object, at any depth, is a secret. */
const JsonWithSecrets = z.unknown().superRefine((value, ctx) => {
  for (const problem of jsonSecretRefProblems(value))
    ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
});

const Method = z
  .enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], {
    message: 'expected one of GET, POST, PUT, PATCH, DELETE',
  })
  .describe('HTTP method (default GET, or POST when the request has a body)');

const GraphQL = z.strictObject({
  query: z.string().min(1).describe('the GraphQL document'),
  variables: z
    .record(z.string(), JsonWithSecrets)
    .optional()
    .describe('variables; { env | file | value } objects inside are secrets'),
  operationName: z.string().min(1).optional(),
});

const requestFields = {
  path: UrlPath,
  method: Method.optional(),
  headers: z
    .record(z.string(), z.string())
    .optional()
    .describe("headers for this request only (credentials belong in the tenant's auth)"),
  json: JsonWithSecrets.optional().describe(
    'JSON body; any { env | file | value } object inside is resolved as a secret',
  ),
  form: z
    .record(z.string(), z.union([z.string(), SecretRef]))
    .optional()
    .describe('form-encoded body (application/x-www-form-urlencoded)'),
  graphql: GraphQL.optional().describe(
    'a GraphQL request, sent as a JSON POST { query, variables, operationName }',
  ),
};

/** One body at most, and none on a GET: a server ignores it or refuses the request. */
function checkRequest(
  request: { method?: string; json?: unknown; form?: unknown; graphql?: unknown },
  ctx: z.RefinementCtx,
): void {
  const bodies = (['json', 'form', 'graphql'] as const).filter((k) => request[k] !== undefined);
  if (bodies.length > 1) {
    ctx.addIssue({
      code: 'custom',
      path: [bodies[1] ?? 'json'],
      message: `give one body: ${bodies.join(' and ')} were both given`,
    });
  }
  if (bodies.length > 0 && request.method === 'GET') {
    ctx.addIssue({
      code: 'custom',
      path: ['method'],
      message: `a GET request carries no ${bodies[0]} body: use POST (or leave method out)`,
    });
  }
}

const EndpointRequest = z
  .strictObject(requestFields)
  .superRefine(checkRequest)
  .describe('a request: path, and optionally method, headers and one body (json, form, graphql)');

const IdentityRequest = z
  .strictObject({ ...requestFields, jsonPointer: JsonPointer })
  .superRefine(checkRequest)
  .describe('the request that says who the caller is, and where its JSON answer names them');

const Tls = z
  .strictObject({
    ca: SecretRef.optional().describe(
      "PEM certificates of a private CA to trust besides the system's: { file } or { env }",
    ),
    serverName: z
      .string()
      .min(1)
      .optional()
      .describe("the name the target's certificate is checked against, when not the URL's host"),
  })
  .describe('how to trust an HTTPS target; verification is never turned off');

const Load = z.strictObject({
  concurrency: z.number().int().min(1).max(1024).default(16),
  requests: z
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .default(3000)
    .describe('request budget of one run'),
  duration: Duration.default('60s').describe('time budget of one run'),
  cancelRatio: z
    .number()
    .min(0)
    .max(0.5)
    .default(0.01)
    .describe('share of requests abandoned mid-flight'),
  reloginEvery: z
    .number()
    .int()
    .min(0)
    .default(50)
    .describe('log in afresh after this many requests of a tenant (0: never)'),
  timeout: Duration.default('10s').describe('per request'),
  maxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .default(8 * 1024 * 1024)
    .describe(
      'decoded bytes of a body scanned for markers; a longer body is cut there and counts as unchecked',
    ),
  maxExpansion: z
    .number()
    .min(2)
    .default(100)
    .describe(
      'decoded bytes per received byte past which a body (over 1 MiB decoded) is taken for a decompression bomb',
    ),
});

const Pass = z.strictObject({
  maxLeakRate: z.number().gt(0).lt(1).default(0.001),
  confidence: z.number().gt(0).lt(1).default(0.95),
  maxErrorRate: z
    .number()
    .min(0)
    .max(1)
    .default(0.01)
    .describe('a larger share of failed requests makes the run inconclusive'),
});

export const ProbeSpec = z
  .strictObject({
    target: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('base URL; --target overrides'),
    headers: z
      .record(z.string(), z.string())
      .optional()
      .describe(
        "headers sent with every request, e.g. the real client's User-Agent; Accept-Encoding defaults to a browser's",
      ),
    tls: Tls.optional(),
    tenants: z.array(Tenant).min(2, { message: 'probing needs at least 2 tenants' }),
    identity: IdentityRequest,
    endpoints: z
      .array(z.union([UrlPath, EndpointRequest]))
      .default([])
      .describe(
        'more requests scanned for foreign markers: a path (a GET) or { path, method, headers, json | form | graphql }',
      ),
    load: Load.default(Load.parse({})),
    pass: Pass.default(Pass.parse({})),
  })
  .superRefine((probe, ctx) => {
    for (const [name, value] of Object.entries(probe.headers ?? {})) {
      if (name.toLowerCase() !== 'accept-encoding') continue;
      const unknown = unknownAcceptCodings(value);
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['headers', name],
          message: `cannot decode "${unknown.join('", "')}": expected gzip, deflate, br, zstd or identity`,
        });
      }
    }
    const seen = {
      name: new Map<string, number>(),
      identity: new Map<string, number>(),
      marker: new Map<string, number>(),
    };
    probe.tenants.forEach((tenant, i) => {
      const check = (kind: keyof typeof seen, value: string, path: (string | number)[]) => {
        const key = value.toLowerCase();
        const first = seen[kind].get(key);
        if (first !== undefined && first !== i) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `${kind} "${value}" is also tenant ${first}'s: each must be unique to one tenant`,
          });
        }
        seen[kind].set(key, i);
      };
      check('name', tenant.name, ['tenants', i, 'name']);
      check('identity', tenant.identity, ['tenants', i, 'identity']);
      for (const [j, m] of tenant.markers.entries())
        check('marker', m, ['tenants', i, 'markers', j]);
    });
  });
export type ProbeSpec = z.infer<typeof ProbeSpec>;

export const Policy = z.strictObject({
  apiVersion: z.literal('vakt.dev/v1alpha1').describe('version of the policy format'),
  kind: z.literal('Policy'),
  metadata: z
    .strictObject({ name: z.string().optional(), description: z.string().optional() })
    .optional()
    .describe('a name and description shown in reports'),
  probe: ProbeSpec.optional().describe(
    'test tenants that probe each release for cross-tenant leaks, and what a pass means',
  ),
  approval: ApprovalSpec.optional().describe(
    'who must approve a pull request before its merge commit may be deployed',
  ),
});
export type Policy = z.infer<typeof Policy>;
