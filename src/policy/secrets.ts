import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ProbeSpec, SecretRef, Tenant } from './schema.ts';
import { isSecretRefShape } from './secret-ref.ts';

/**
 * Turns the secret references of a policy into values. Every error names the tenant and
 * the variable or file, never a value: error text ends up in CI logs and job summaries.
 */

export interface SecretContext {
  env: Record<string, string | undefined>;
  /** Folder that `{ file }` paths are relative to: the policy file's folder. */
  baseDir: string;
  /** Reads a secret file; tests pass their own. */
  readFile?: (path: string) => string;
  /** How reports name an `{ env: NAME }` source (the operator: a key of the tenants Secret). */
  envLabel?: (name: string) => string;
}

/** Where a tenant's secret was read from, and for which field of its auth. */
export interface CredentialSource {
  /** The policy field, e.g. auth.login.json.password or auth.bearer. */
  field: string;
  /** Words naming the source: BOB_PASSWORD, secret file /run/bob, key BOB of Secret shop. */
  source: string;
}

/** One or more secrets could not be resolved; `problems` holds one line per secret. */
export class SecretError extends Error {
  override name = 'SecretError';
  readonly problems: string[];

  constructor(message: string, problems: string[] = [message]) {
    super(message);
    this.problems = problems;
  }
}

export interface ResolvedLogin {
  method: string;
  path: string;
  body?: { contentType: string; text: string };
  tokenPointer?: string;
}

export interface ResolvedAuth {
  headers: Record<string, string>;
  login?: ResolvedLogin;
}

export interface ResolvedTenant {
  name: string;
  identity: string;
  markers: string[];
  auth: ResolvedAuth;
  /** Every secret value of this tenant, so reports can redact them and probes can spot them. */
  secrets: string[];
  /** Where each secret came from: a refused login names it (never the value). */
  sources: CredentialSource[];
}

const READ_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a folder, not a file',
};

type Outcome = { ok: true; value: string } | { ok: false; reason: string };

/** The reason never includes the error's own message: a custom reader might quote the file. */
function readSecret(ref: SecretRef, ctx: SecretContext): Outcome {
  if ('env' in ref) {
    const value = ctx.env[ref.env];
    if (value === undefined || value === '') {
      return { ok: false, reason: `environment variable ${ref.env} is not set` };
    }
    return { ok: true, value };
  }
  if ('file' in ref) {
    const path = resolve(ctx.baseDir, ref.file);
    let text: string;
    try {
      text = (ctx.readFile ?? ((p) => readFileSync(p, 'utf8')))(path);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const reason = typeof code === 'string' ? (READ_REASONS[code] ?? code) : 'unreadable';
      const suffix = typeof code === 'string' && READ_REASONS[code] ? ` (${code})` : '';
      return { ok: false, reason: `cannot read secret file ${path}: ${reason}${suffix}` };
    }
    // Editors and `echo` add a newline that is never part of the secret.
    const value = text.replace(/\r?\n$/, '');
    if (value === '') return { ok: false, reason: `secret file ${path} is empty` };
    return { ok: true, value };
  }
  return { ok: true, value: ref.value };
}

/** Names where a secret comes from, in words a person can act on; never its value. */
function sourceLabel(ref: SecretRef, field: string, ctx: SecretContext): string {
  if ('env' in ref) return ctx.envLabel ? ctx.envLabel(ref.env) : ref.env;
  if ('file' in ref) return `secret file ${resolve(ctx.baseDir, ref.file)}`;
  return `${field} in the policy`;
}

/** Resolves one secret or throws a SecretError that says where it was wanted. */
export function resolveSecret(ref: SecretRef, ctx: SecretContext, where: string): string {
  const outcome = readSecret(ref, ctx);
  if (!outcome.ok) throw new SecretError(`${where}: ${outcome.reason}`);
  return outcome.value;
}

/**
 * Collects values and failures of one owner (a tenant, or the probe's requests), so every
 * missing secret is reported at once. `owner` labels the problems: `tenant "alice"`.
 */
class SecretCollector {
  readonly values: string[] = [];
  readonly sources: CredentialSource[] = [];
  readonly problems: string[] = [];
  readonly owner: string;
  readonly ctx: SecretContext;

  constructor(owner: string, ctx: SecretContext) {
    this.owner = owner;
    this.ctx = ctx;
  }

  get(ref: SecretRef, field: string): string {
    this.sources.push({ field, source: sourceLabel(ref, field, this.ctx) });
    const outcome = readSecret(ref, this.ctx);
    if (!outcome.ok) {
      this.problems.push(`${this.owner}: ${outcome.reason} (${field})`);
      return '';
    }
    if (outcome.value !== '' && !this.values.includes(outcome.value)) {
      this.values.push(outcome.value);
    }
    return outcome.value;
  }

  /** Copies a JSON body, replacing secret references at any depth. */
  json(value: unknown, field: string): unknown {
    if (isSecretRefShape(value)) {
      const [key, inner] = Object.entries(value)[0] ?? [];
      if (typeof inner !== 'string') {
        this.problems.push(`${this.owner}: ${field}.${key} must be a string`);
        return '';
      }
      return this.get(value as SecretRef, field);
    }
    if (Array.isArray(value)) return value.map((item, i) => this.json(item, `${field}[${i}]`));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(
        Object.entries(value).map(([key, inner]) => [key, this.json(inner, `${field}.${key}`)]),
      );
    }
    return value;
  }
}

type Login = NonNullable<Tenant['auth']['login']>;

/** The body of a login or probe request, secrets resolved; undefined when it has none. */
function resolveBody(
  request: { json?: unknown; form?: Record<string, string | SecretRef>; graphql?: GraphQLBody },
  secrets: SecretCollector,
  field: string,
): { contentType: string; text: string } | undefined {
  if (request.json !== undefined) {
    const body = secrets.json(request.json, `${field}.json`);
    return { contentType: 'application/json', text: JSON.stringify(body) };
  }
  if (request.form) {
    const fields = Object.entries(request.form).map(([key, value]): [string, string] => [
      key,
      typeof value === 'string' ? value : secrets.get(value, `${field}.form.${key}`),
    ]);
    return {
      contentType: 'application/x-www-form-urlencoded',
      text: new URLSearchParams(fields).toString(),
    };
  }
  if (request.graphql) {
    const { query, variables, operationName } = request.graphql;
    const body: Record<string, unknown> = { query };
    if (variables) body.variables = secrets.json(variables, `${field}.graphql.variables`);
    if (operationName) body.operationName = operationName;
    return { contentType: 'application/json', text: JSON.stringify(body) };
  }
  return undefined;
}

function resolveLogin(login: Login, secrets: SecretCollector): ResolvedLogin {
  const resolved: ResolvedLogin = { method: login.method, path: login.path };
  if (login.token) resolved.tokenPointer = login.token.jsonPointer;
  const body = resolveBody(login, secrets, 'auth.login');
  if (body) resolved.body = body;
  return resolved;
}

function resolveAuth(auth: Tenant['auth'], secrets: SecretCollector): ResolvedAuth {
  const headers: Record<string, string> = {};
  if (auth.bearer) headers.Authorization = `Bearer ${secrets.get(auth.bearer, 'auth.bearer')}`;
  if (auth.cookie) headers.Cookie = secrets.get(auth.cookie, 'auth.cookie');
  for (const [name, ref] of Object.entries(auth.headers ?? {})) {
    headers[name] = secrets.get(ref, `auth.headers.${name}`);
  }
  const resolved: ResolvedAuth = { headers };
  if (auth.login) resolved.login = resolveLogin(auth.login, secrets);
  return resolved;
}

interface GraphQLBody {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

/** A request the probe sends as every tenant (and as nobody), its body's secrets resolved. */
export interface ResolvedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: { contentType: string; text: string };
}

export interface ResolvedProbe {
  tenants: ResolvedTenant[];
  /** The identity request first, then every endpoint, in the policy's order. */
  requests: ResolvedRequest[];
  /** Secrets in the requests' bodies: redacted like credentials. */
  secrets: string[];
  tls?: { ca?: string; serverName?: string };
}

type RequestSpec = Exclude<ProbeSpec['endpoints'][number], string>;

function resolveRequest(
  request: string | RequestSpec,
  secrets: SecretCollector,
  field: string,
): ResolvedRequest {
  if (typeof request === 'string') return { method: 'GET', path: request, headers: {} };
  const body = resolveBody(request, secrets, field);
  const resolved: ResolvedRequest = {
    method: request.method ?? (body ? 'POST' : 'GET'),
    path: request.path,
    headers: { ...request.headers },
  };
  if (body) {
    resolved.body = body;
    resolved.headers['content-type'] = body.contentType;
  }
  return resolved;
}

/**
 * Everything a probe run needs from a policy's secrets: tenants' credentials, the request
 * bodies, the private CA. Throws one SecretError listing every failure.
 */
export function resolveProbe(spec: ProbeSpec, ctx: SecretContext): ResolvedProbe {
  const problems: string[] = [];
  let tenants: ResolvedTenant[] = [];
  try {
    tenants = resolveTenants(spec.tenants, ctx);
  } catch (error) {
    if (!(error instanceof SecretError)) throw error;
    problems.push(...error.problems);
  }
  const shared = new SecretCollector('probe', ctx);
  const requests = [
    resolveRequest(spec.identity, shared, 'identity'),
    ...spec.endpoints.map((e, i) => resolveRequest(e, shared, `endpoints[${i}]`)),
  ];
  const resolved: ResolvedProbe = { tenants, requests, secrets: shared.values };
  if (spec.tls) {
    const tls: NonNullable<ResolvedProbe['tls']> = {};
    if (spec.tls.ca) {
      const outcome = readSecret(spec.tls.ca, ctx);
      if (outcome.ok) tls.ca = outcome.value;
      else shared.problems.push(`probe: ${outcome.reason} (tls.ca)`);
    }
    if (spec.tls.serverName) tls.serverName = spec.tls.serverName;
    resolved.tls = tls;
  }
  problems.push(...shared.problems);
  throwProblems(problems);
  return resolved;
}

function throwProblems(problems: string[]): void {
  if (problems.length === 1) throw new SecretError(problems[0] ?? '', problems);
  if (problems.length > 1) {
    const list = problems.map((p) => `  ${p}`).join('\n');
    throw new SecretError(`${problems.length} secrets could not be resolved:\n${list}`, problems);
  }
}

/** Resolves every tenant's credentials; throws one SecretError listing every failure. */
export function resolveTenants(tenants: Tenant[], ctx: SecretContext): ResolvedTenant[] {
  const problems: string[] = [];
  const resolved = tenants.map((tenant) => {
    const secrets = new SecretCollector(`tenant "${tenant.name}"`, ctx);
    const auth = resolveAuth(tenant.auth, secrets);
    problems.push(...secrets.problems);
    return {
      name: tenant.name,
      identity: tenant.identity,
      markers: tenant.markers,
      auth,
      secrets: secrets.values,
      sources: secrets.sources,
    };
  });
  throwProblems(problems);
  return resolved;
}
