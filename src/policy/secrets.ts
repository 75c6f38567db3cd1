import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SecretRef, Tenant } from './schema.ts';

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
}

const SECRET_KEYS = ['env', 'file', 'value'] as const;

/** Inside a login's JSON body, an object whose only key is env, file or value is a secret. */
export function isSecretRefShape(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (SECRET_KEYS as readonly string[]).includes(keys[0] ?? '');
}

export interface JsonSecretRefProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Finds malformed secret references in a login JSON body, which the schema leaves as
 * free-form JSON: `{ env: 3 }` must be reported when the policy is checked, not when a
 * probe is about to run.
 */
export function jsonSecretRefProblems(json: unknown): JsonSecretRefProblem[] {
  const problems: JsonSecretRefProblem[] = [];
  const visit = (value: unknown, path: (string | number)[]) => {
    if (isSecretRefShape(value)) {
      const [key, inner] = Object.entries(value)[0] ?? [];
      if (typeof inner !== 'string' || (key !== 'value' && inner === '')) {
        problems.push({
          path: [...path, key ?? ''],
          message: `a secret reference { ${key}: ... } needs a non-empty string`,
        });
      }
      return;
    }
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) visit(item, [...path, i]);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) visit(inner, [...path, key]);
    }
  };
  visit(json, []);
  return problems;
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

/** Resolves one secret or throws a SecretError that says where it was wanted. */
export function resolveSecret(ref: SecretRef, ctx: SecretContext, where: string): string {
  const outcome = readSecret(ref, ctx);
  if (!outcome.ok) throw new SecretError(`${where}: ${outcome.reason}`);
  return outcome.value;
}

/** Collects values and failures of one tenant, so every missing secret is reported at once. */
class TenantSecrets {
  readonly values: string[] = [];
  readonly problems: string[] = [];
  readonly tenant: string;
  readonly ctx: SecretContext;

  constructor(tenant: string, ctx: SecretContext) {
    this.tenant = tenant;
    this.ctx = ctx;
  }

  get(ref: SecretRef, field: string): string {
    const outcome = readSecret(ref, this.ctx);
    if (!outcome.ok) {
      this.problems.push(`tenant "${this.tenant}": ${outcome.reason} (${field})`);
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
        this.problems.push(`tenant "${this.tenant}": ${field}.${key} must be a string`);
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

function resolveLogin(login: Login, secrets: TenantSecrets): ResolvedLogin {
  const resolved: ResolvedLogin = { method: login.method, path: login.path };
  if (login.token) resolved.tokenPointer = login.token.jsonPointer;
  if (login.json) {
    const body = secrets.json(login.json, 'auth.login.json');
    resolved.body = { contentType: 'application/json', text: JSON.stringify(body) };
  } else if (login.form) {
    const fields = Object.entries(login.form).map(([key, value]): [string, string] => [
      key,
      typeof value === 'string' ? value : secrets.get(value, `auth.login.form.${key}`),
    ]);
    resolved.body = {
      contentType: 'application/x-www-form-urlencoded',
      text: new URLSearchParams(fields).toString(),
    };
  }
  return resolved;
}

function resolveAuth(auth: Tenant['auth'], secrets: TenantSecrets): ResolvedAuth {
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

/** Resolves every tenant's credentials; throws one SecretError listing every failure. */
export function resolveTenants(tenants: Tenant[], ctx: SecretContext): ResolvedTenant[] {
  const problems: string[] = [];
  const resolved = tenants.map((tenant) => {
    const secrets = new TenantSecrets(tenant.name, ctx);
    const auth = resolveAuth(tenant.auth, secrets);
    problems.push(...secrets.problems);
    return {
      name: tenant.name,
      identity: tenant.identity,
      markers: tenant.markers,
      auth,
      secrets: secrets.values,
    };
  });
  if (problems.length === 1) throw new SecretError(problems[0] ?? '', problems);
  if (problems.length > 1) {
    const list = problems.map((p) => `  ${p}`).join('\n');
    throw new SecretError(`${problems.length} secrets could not be resolved:\n${list}`, problems);
  }
  return resolved;
}
