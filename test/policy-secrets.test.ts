import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Tenant } from '../src/policy/schema.ts';
import {
  resolveSecret,
  resolveTenants,
  type SecretContext,
  SecretError,
} from '../src/policy/secrets.ts';

const FIXTURES = resolve(import.meta.dirname, 'fixtures/policies');

/** Known secret values: none of them may ever appear in an error message. */
const SECRETS = {
  ALICE_TOKEN: 'alice-tok-Xy7QpL2',
  BOB_PASSWORD: 'bob-pw-Rr93kZ',
  DAVE_KEY: 'dave-key-77aa',
};

const ctx = (env: Record<string, string | undefined> = SECRETS): SecretContext => ({
  env,
  baseDir: FIXTURES,
});

const tenant = (name: string, auth: Tenant['auth'], identity = `u-${name}`): Tenant => ({
  name,
  identity,
  markers: [`${name}@probe.example`],
  auth,
});

/** Runs `fn`, expects a SecretError, returns it. */
function secretError(fn: () => unknown): SecretError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretError);
    return error as SecretError;
  }
  throw new Error('expected a SecretError');
}

function expectNoSecretValues(text: string) {
  for (const value of Object.values(SECRETS)) expect(text).not.toContain(value);
  expect(text).not.toContain('file-token-Hq83');
}

describe('resolveSecret', () => {
  it.each([
    ['env', { env: 'ALICE_TOKEN' }, SECRETS.ALICE_TOKEN],
    ['value', { value: 'inline-demo' }, 'inline-demo'],
    [
      'file, relative to baseDir, newline dropped',
      { file: 'secrets/alice.token' },
      'file-token-Hq83',
    ],
    ['file with CRLF', { file: 'secrets/carol.password' }, 'carol-pw-file-9Zq'],
    ['absolute file', { file: resolve(FIXTURES, 'secrets/alice.token') }, 'file-token-Hq83'],
  ])('%s', (_, ref, expected) => {
    expect(resolveSecret(ref, ctx(), 'test')).toBe(expected);
  });

  it('uses the given file reader', () => {
    const read = (path: string) => `read:${path}\n`;
    const value = resolveSecret(
      { file: 'x' },
      { env: {}, baseDir: '/etc/vakt', readFile: read },
      'w',
    );
    expect(value).toBe('read:/etc/vakt/x');
  });

  it.each([
    [{ env: 'NOPE' }, 'where: environment variable NOPE is not set'],
    [
      { file: 'secrets/missing' },
      /^where: cannot read secret file .*secrets\/missing: no such file \(ENOENT\)$/,
    ],
  ])('fails with a message naming where and what: %j', (ref, message) => {
    const error = secretError(() => resolveSecret(ref, ctx(), 'where'));
    expect(error.message).toMatch(message);
    expect(error.name).toBe('SecretError');
  });

  it('treats an empty variable as unset', () => {
    const error = secretError(() => resolveSecret({ env: 'EMPTY' }, ctx({ EMPTY: '' }), 'w'));
    expect(error.message).toBe('w: environment variable EMPTY is not set');
  });

  it('never quotes file contents, even when the reader puts them in its error', () => {
    const readFile = () => {
      throw Object.assign(new Error(`bad line: ${SECRETS.DAVE_KEY}`), { code: 'EACCES' });
    };
    const error = secretError(() =>
      resolveSecret(
        { file: 'k' },
        { env: {}, baseDir: '/s', readFile },
        'tenant "dave" auth.bearer',
      ),
    );
    expect(error.message).toBe(
      'tenant "dave" auth.bearer: cannot read secret file /s/k: permission denied (EACCES)',
    );
  });
});

describe('resolveTenants', () => {
  it('turns each kind of auth into headers or a login', () => {
    const tenants = resolveTenants(
      [
        tenant('alice', { bearer: { env: 'ALICE_TOKEN' } }),
        tenant('carol', { cookie: { value: 'sid=abc123' } }),
        tenant('dave', {
          headers: { 'X-Api-Key': { env: 'DAVE_KEY' }, 'X-Team': { value: 'qa' } },
        }),
      ],
      ctx(),
    );
    expect(tenants.map((t) => t.auth)).toEqual([
      { headers: { Authorization: `Bearer ${SECRETS.ALICE_TOKEN}` } },
      { headers: { Cookie: 'sid=abc123' } },
      { headers: { 'X-Api-Key': SECRETS.DAVE_KEY, 'X-Team': 'qa' } },
    ]);
    expect(tenants[0]).toMatchObject({
      name: 'alice',
      identity: 'u-alice',
      markers: ['alice@probe.example'],
      secrets: [SECRETS.ALICE_TOKEN],
    });
    expect(tenants[2]?.secrets).toEqual([SECRETS.DAVE_KEY, 'qa']);
  });

  it('resolves secret references at any depth of a JSON login body', () => {
    const [bob] = resolveTenants(
      [
        tenant('bob', {
          login: {
            method: 'POST',
            path: '/login',
            json: {
              user: 'bob',
              password: { env: 'BOB_PASSWORD' },
              device: { id: 7, keys: [{ file: 'secrets/alice.token' }, 'plain', null] },
              flags: { env: 'X', other: true }, // two keys: literal JSON, not a secret
            },
            token: { jsonPointer: '/token' },
          },
        }),
      ],
      ctx(),
    );
    expect(bob?.auth.headers).toEqual({});
    expect(bob?.auth.login).toMatchObject({
      method: 'POST',
      path: '/login',
      tokenPointer: '/token',
      body: { contentType: 'application/json' },
    });
    expect(JSON.parse(bob?.auth.login?.body?.text ?? '')).toEqual({
      user: 'bob',
      password: SECRETS.BOB_PASSWORD,
      device: { id: 7, keys: ['file-token-Hq83', 'plain', null] },
      flags: { env: 'X', other: true },
    });
    expect(bob?.secrets).toEqual([SECRETS.BOB_PASSWORD, 'file-token-Hq83']);
  });

  it('encodes a form login, with literal and secret fields', () => {
    const [carol] = resolveTenants(
      [
        tenant('carol', {
          login: {
            method: 'POST',
            path: '/login',
            form: { user: 'carol & co', password: { file: 'secrets/carol.password' } },
          },
        }),
      ],
      ctx(),
    );
    expect(carol?.auth.login).toEqual({
      method: 'POST',
      path: '/login',
      body: {
        contentType: 'application/x-www-form-urlencoded',
        text: 'user=carol+%26+co&password=carol-pw-file-9Zq',
      },
    });
    expect(carol?.auth.login?.tokenPointer).toBeUndefined();
    expect(carol?.secrets).toEqual(['carol-pw-file-9Zq']);
  });

  it('lists every missing secret, one line each, naming tenant and variable or file', () => {
    const tenants = [
      tenant('alice', { bearer: { env: 'ALICE_TOKEN' } }),
      tenant('bob', {
        login: {
          method: 'POST',
          path: '/login',
          json: { user: 'bob', password: { env: 'BOB_PASSWORD' }, otp: { env: 'BOB_OTP' } },
        },
      }),
      tenant('carol', { headers: { 'X-Api-Key': { file: 'secrets/nope' } } }),
      tenant('dave', { bearer: { env: 'DAVE_KEY' } }),
    ];
    const env = { ...SECRETS, ALICE_TOKEN: undefined, BOB_PASSWORD: '' };
    const error = secretError(() => resolveTenants(tenants, ctx(env)));
    expect(error.problems).toEqual([
      'tenant "alice": environment variable ALICE_TOKEN is not set (auth.bearer)',
      'tenant "bob": environment variable BOB_PASSWORD is not set (auth.login.json.password)',
      'tenant "bob": environment variable BOB_OTP is not set (auth.login.json.otp)',
      `tenant "carol": cannot read secret file ${resolve(FIXTURES, 'secrets/nope')}: no such file (ENOENT) (auth.headers.X-Api-Key)`,
    ]);
    expect(error.message.split('\n')).toEqual([
      '4 secrets could not be resolved:',
      ...error.problems.map((p) => `  ${p}`),
    ]);
    expectNoSecretValues(error.message);
  });

  it('reports a single missing secret as one line', () => {
    const error = secretError(() =>
      resolveTenants(
        [
          tenant('alice', { bearer: { env: 'ALICE_TOKEN' } }),
          tenant('bob', { bearer: { env: 'GONE' } }),
        ],
        ctx(),
      ),
    );
    expect(error.message).toBe('tenant "bob": environment variable GONE is not set (auth.bearer)');
    expectNoSecretValues(error.message);
  });

  it('rejects a malformed reference inside a JSON body without quoting it', () => {
    const error = secretError(() =>
      resolveTenants(
        [tenant('bob', { login: { method: 'POST', path: '/l', json: { pw: { value: 1234 } } } })],
        ctx(),
      ),
    );
    expect(error.message).toBe('tenant "bob": auth.login.json.pw.value must be a string');
  });
});

describe('credential sources', () => {
  const tenants = [
    tenant('alice', { bearer: { file: 'secrets/alice.token' } }),
    tenant('bob', {
      login: {
        method: 'POST',
        path: '/login',
        json: { user: 'bob', password: { env: 'BOB_PASSWORD' }, otp: { value: '123456' } },
      },
    }),
  ];

  it('names where each secret came from and for which field, never its value', () => {
    const [alice, bob] = resolveTenants(tenants, ctx());
    expect(alice?.sources).toEqual([
      { field: 'auth.bearer', source: `secret file ${resolve(FIXTURES, 'secrets/alice.token')}` },
    ]);
    expect(bob?.sources).toEqual([
      { field: 'auth.login.json.password', source: 'BOB_PASSWORD' },
      { field: 'auth.login.json.otp', source: 'auth.login.json.otp in the policy' },
    ]);
    expectNoSecretValues(JSON.stringify([alice?.sources, bob?.sources]));
  });

  it('names a key of the tenants Secret when the operator says so', () => {
    const [, bob] = resolveTenants(tenants, {
      ...ctx(),
      envLabel: (key) => `key ${key} of Secret shop-tenants`,
    });
    expect(bob?.sources[0]?.source).toBe('key BOB_PASSWORD of Secret shop-tenants');
  });
});
