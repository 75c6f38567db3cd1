import { z } from 'zod';
import { ApprovalSpec } from '../approval/schema.ts';
import { parseDuration } from './duration.ts';

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
    .describe('bytes of a body scanned for markers; the rest is skipped and noted'),
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
      .describe("headers sent with every request, e.g. the real client's User-Agent"),
    tenants: z.array(Tenant).min(2, { message: 'probing needs at least 2 tenants' }),
    identity: z.strictObject({ path: UrlPath, jsonPointer: JsonPointer }),
    endpoints: z
      .array(UrlPath)
      .default([])
      .describe('more authenticated GETs scanned for foreign markers'),
    load: Load.default(Load.parse({})),
    pass: Pass.default(Pass.parse({})),
  })
  .superRefine((probe, ctx) => {
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
