import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatProblem,
  loadPolicyFile,
  type PolicyProblem,
  parsePolicy,
} from '../src/policy/load.ts';

const FIXTURES = resolve(import.meta.dirname, 'fixtures/policies');
const POLICIES = resolve(import.meta.dirname, '../policies');

/** A valid policy; cases change single lines so the expected line numbers stay obvious. */
const BASE = [
  'apiVersion: vakt.dev/v1alpha1', // 1
  'kind: Policy', // 2
  'probe:', // 3
  '  identity: { path: /api/me, jsonPointer: /id }', // 4
  '  tenants:', // 5
  '    - name: alice', // 6
  '      identity: u-1001', // 7
  '      markers: [alice@probe.example]', // 8
  '      auth:', // 9
  '        bearer: { env: ALICE_TOKEN }', // 10
  '    - name: bob', // 11
  '      identity: u-1002', // 12
  '      markers: [bob@probe.example]', // 13
  '      auth:', // 14
  '        bearer: { env: BOB_TOKEN }', // 15
];

const text = (lines: string[]) => `${lines.join('\n')}\n`;
/** BASE with line `n` (1-based) replaced by `lines` (none: deleted). */
const replace = (n: number, ...lines: string[]) =>
  text([...BASE.slice(0, n - 1), ...lines, ...BASE.slice(n)]);
const append = (...lines: string[]) => text([...BASE, ...lines]);

type Expected = Pick<PolicyProblem, 'line' | 'col' | 'path'> & { message: string | RegExp };

function problemsOf(source: string): PolicyProblem[] {
  const result = parsePolicy(source, 'policy.yaml');
  if (result.ok) throw new Error('expected problems, but the policy loaded');
  return result.problems;
}

describe('parsePolicy: valid files', () => {
  it('loads the base policy and fills in defaults', () => {
    const result = parsePolicy(text(BASE), 'policy.yaml');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.file).toBe('policy.yaml');
    expect(result.policy.probe?.tenants.map((t) => t.name)).toEqual(['alice', 'bob']);
    expect(result.policy.probe?.load.concurrency).toBe(16);
    expect(result.policy.probe?.pass.confidence).toBe(0.95);
  });

  it.each([
    ['fixture', resolve(FIXTURES, 'valid.yaml')],
    ['annotated example', resolve(POLICIES, 'example.yaml')],
    ['sample shop', resolve(POLICIES, 'sample-shop.yaml')],
  ])('loads the %s file', async (_, file) => {
    const result = await loadPolicyFile(file);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
  });

  it('reads the sample shop policy as documented', async () => {
    const result = await loadPolicyFile(resolve(POLICIES, 'sample-shop.yaml'));
    if (!result.ok) throw new Error('sample-shop.yaml does not load');
    const probe = result.policy.probe;
    expect(probe?.target).toBe('http://127.0.0.1:8080');
    expect(probe?.tenants.map((t) => [t.name, t.identity, t.markers])).toEqual([
      ['alice', 'u-1001', ['alice@probe.example', 'Probegatan 1', 'ORD-u-1001']],
      ['bob', 'u-1002', ['bob@probe.example', 'Testvägen 2', 'ORD-u-1002']],
      ['carol', 'u-1003', ['carol@probe.example', 'Provstigen 3', 'ORD-u-1003']],
      ['dave', 'u-1004', ['dave@probe.example', 'Kontrollgränd 4', 'ORD-u-1004']],
    ]);
    expect(probe?.tenants[3]?.auth.headers).toEqual({ 'X-Api-Key': { env: 'DAVE_API_KEY' } });
    expect(probe?.tenants[1]?.auth.login?.token).toEqual({ jsonPointer: '/token' });
    expect(probe?.tenants[2]?.auth.login?.token).toBeUndefined();
    expect(probe?.endpoints).toEqual([
      '/api/orders',
      '/api/profile',
      '/api/catalog',
      { path: '/graphql', graphql: { query: '{ me { id email orders { id } } }' } },
    ]);
    expect(probe?.load).toMatchObject({
      concurrency: 16,
      requests: 3000,
      duration: '60s',
      cancelRatio: 0.01,
      reloginEvery: 50,
    });
    expect(probe?.pass).toMatchObject({ maxLeakRate: 0.001, confidence: 0.95 });
  });
});

describe('parsePolicy: each kind of problem at its line and column', () => {
  const cases: [string, string, Expected[]][] = [
    [
      'unknown key, with a suggestion',
      append('  load: { concurency: 16 }'),
      [
        {
          line: 16,
          col: 11,
          path: 'probe.load.concurency',
          message: 'unknown key "concurency" (did you mean "concurrency"?)',
        },
      ],
    ],
    [
      'unknown key, nothing close',
      append('colour: red'),
      [{ line: 16, col: 1, path: 'colour', message: 'unknown key "colour"' }],
    ],
    [
      'wrong type',
      append('  load: { requests: abc }'),
      [
        {
          line: 16,
          col: 21,
          path: 'probe.load.requests',
          message: 'expected a number, got string "abc"',
        },
      ],
    ],
    [
      'not a whole number',
      append('  load: { concurrency: 1.5 }'),
      [
        {
          line: 16,
          col: 24,
          path: 'probe.load.concurrency',
          message: 'expected a whole number, got number 1.5',
        },
      ],
    ],
    [
      'number out of range',
      append('  load: { cancelRatio: 0.9 }'),
      [
        {
          line: 16,
          col: 24,
          path: 'probe.load.cancelRatio',
          message: 'expected a number <= 0.5, got number 0.9',
        },
      ],
    ],
    [
      'bad duration',
      append('  load:', '    duration: 60 sec'),
      [
        {
          line: 17,
          col: 15,
          path: 'probe.load.duration',
          message: /^expected a duration such as .*, got string "60 sec"$/,
        },
      ],
    ],
    [
      'missing field: points at the mapping that lacks it',
      replace(4, '  identity: { path: /api/me }'),
      [
        {
          line: 4,
          col: 13,
          path: 'probe.identity.jsonPointer',
          message: 'missing required field "jsonPointer"',
        },
      ],
    ],
    [
      'missing field of a tenant',
      replace(14, '      other: 1').replace('        bearer: { env: BOB_TOKEN }\n', ''),
      [
        {
          line: 11,
          col: 7,
          path: 'probe.tenants[1].auth',
          message: 'missing required field "auth"',
        },
        { line: 14, col: 7, path: 'probe.tenants[1].other', message: 'unknown key "other"' },
      ],
    ],
    [
      'empty value: points at its key',
      replace(4, '  identity:'),
      [{ line: 4, col: 3, path: 'probe.identity', message: 'expected a mapping, got nothing' }],
    ],
    [
      'fewer than 2 tenants',
      text(BASE.slice(0, 10)),
      [{ line: 6, col: 5, path: 'probe.tenants', message: 'probing needs at least 2 tenants' }],
    ],
    [
      'duplicate marker across tenants, in any case',
      replace(13, '      markers: [Alice@probe.example]'),
      [
        {
          line: 13,
          col: 17,
          path: 'probe.tenants[1].markers[0]',
          message: /^marker "Alice@probe.example" is also tenant 0's/,
        },
      ],
    ],
    [
      'two auth kinds at once',
      replace(10, '        bearer: { env: ALICE_TOKEN }', '        cookie: { env: ALICE_COOKIE }'),
      [
        {
          line: 10,
          col: 9,
          path: 'probe.tenants[0].auth',
          message: 'give exactly one of bearer, headers, cookie or login',
        },
      ],
    ],
    [
      'secret reference of no known form',
      replace(10, '        bearer: { env: A, file: b }'),
      [
        {
          line: 10,
          col: 17,
          path: 'probe.tenants[0].auth.bearer',
          message:
            'expected a secret: { env: NAME }, { file: PATH } or { value: "..." }, got a mapping with keys env, file',
        },
      ],
    ],
    [
      'secret reference with a typo in its key',
      replace(10, '        bearer: { env: A, extra: 1 }'),
      [
        {
          line: 10,
          col: 27,
          path: 'probe.tenants[0].auth.bearer.extra',
          message: 'unknown key "extra"',
        },
      ],
    ],
    [
      'malformed secret reference inside a login JSON body',
      replace(
        10,
        '        login: { path: /login, json: { user: a, pw: { env: "" }, list: [{ file: 3 }] } }',
      ),
      [
        {
          line: 10,
          col: 60,
          path: 'probe.tenants[0].auth.login.json.pw.env',
          message: 'a secret reference { env: ... } needs a non-empty string',
        },
        {
          line: 10,
          col: 81,
          path: 'probe.tenants[0].auth.login.json.list[0].file',
          message: 'a secret reference { file: ... } needs a non-empty string',
        },
      ],
    ],
    [
      'wrong literal',
      replace(2, 'kind: Polcy'),
      [{ line: 2, col: 7, path: 'kind', message: 'expected "Policy", got string "Polcy"' }],
    ],
    [
      'enum value',
      replace(10, '        login: { method: DELETE, path: /login }'),
      [
        {
          line: 10,
          col: 26,
          path: 'probe.tenants[0].auth.login.method',
          message: 'expected one of "POST", "PUT", "GET", got string "DELETE"',
        },
      ],
    ],
    [
      'YAML syntax error',
      replace(8, '      markers: [alice@probe.example'),
      // The parser notices the unclosed list where the next key starts.
      [{ line: 9, col: 7, path: '', message: /^invalid YAML: .*end with a \]/ }],
    ],
    [
      'duplicate key',
      append('kind: Policy'),
      [
        {
          line: 16,
          col: 1,
          path: '',
          message: 'duplicate key "kind": a key may appear once per mapping',
        },
      ],
    ],
    [
      'duplicate nested key',
      replace(12, '      identity: u-1002', '      identity: u-1003'),
      [{ line: 13, col: 7, path: '', message: /^duplicate key "identity"/ }],
    ],
    ['empty file', '', [{ line: 1, col: 1, path: '', message: /^the file is empty/ }]],
    [
      'only comments',
      '# nothing yet\n\n',
      [{ line: 1, col: 1, path: '', message: /^the file is empty/ }],
    ],
    [
      'more than one document',
      `${text(BASE)}---\n${text(BASE)}`,
      [{ line: 16, col: 1, path: '', message: /^a policy file holds one YAML document/ }],
    ],
    [
      'top level is a list',
      '- apiVersion: vakt.dev/v1alpha1\n',
      [
        {
          line: 1,
          col: 1,
          path: '',
          message: /^expected a mapping .* at the top level, got a list$/,
        },
      ],
    ],
    [
      'top level is a scalar',
      '\nvakt\n',
      [{ line: 2, col: 1, path: '', message: /at the top level, got a single value$/ }],
    ],
    [
      'an unknown method',
      replace(4, '  identity: { path: /api/me, method: FETCH, jsonPointer: /id }'),
      [{ line: 4, col: 38, path: 'probe.identity.method', message: /expected one of GET, POST/ }],
    ],
    [
      'a GET with a body',
      replace(4, '  identity: { path: /api/me, method: GET, json: { a: 1 }, jsonPointer: /id }'),
      [
        {
          line: 4,
          col: 38,
          path: 'probe.identity.method',
          message: /a GET request carries no json body/,
        },
      ],
    ],
    [
      'two bodies on one endpoint',
      append('  endpoints:', '    - { path: /q, json: { a: 1 }, form: { b: c } }'),
      [
        {
          line: 17,
          col: 41,
          path: 'probe.endpoints[0].form',
          message: /give one body: json and form/,
        },
      ],
    ],
    [
      'an unknown key in a graphql body',
      append(
        '  endpoints:',
        '    - { path: /graphql, graphql: { query: "{ me { id } }", vars: {} } }',
      ),
      [
        {
          line: 17,
          col: 60,
          path: 'probe.endpoints[0].graphql.vars',
          message: /unknown key "vars"/,
        },
      ],
    ],
    [
      'a malformed secret in GraphQL variables',
      append(
        '  endpoints:',
        '    - { path: /g, graphql: { query: q, variables: { k: { env: 3 } } } }',
      ),
      [
        {
          line: 17,
          col: 63,
          path: 'probe.endpoints[0].graphql.variables.k.env',
          message: /needs a non-empty string/,
        },
      ],
    ],
    [
      'an Accept-Encoding the probe cannot decode',
      append('  headers: { Accept-Encoding: "gzip, compress;q=0.5" }'),
      [
        {
          line: 16,
          col: 31,
          path: 'probe.headers.Accept-Encoding',
          message: /cannot decode "compress": expected gzip, deflate, br, zstd or identity/,
        },
      ],
    ],
    [
      'a CA given inline as a list',
      append('  tls: { ca: [a] }'),
      [{ line: 16, col: 14, path: 'probe.tls.ca', message: /expected a secret/ }],
    ],
  ];

  it.each(cases)('%s', (_, source, expected) => {
    const problems = problemsOf(source);
    expect(problems).toHaveLength(expected.length);
    expected.forEach((want, i) => {
      const got = problems[i];
      expect(got).toMatchObject({
        file: 'policy.yaml',
        line: want.line,
        col: want.col,
        path: want.path,
      });
      if (typeof want.message === 'string') expect(got?.message).toBe(want.message);
      else expect(got?.message).toMatch(want.message);
    });
  });
});

describe('parsePolicy: reporting', () => {
  it('reports every problem, sorted by line and column', async () => {
    const result = await loadPolicyFile(resolve(FIXTURES, 'many-problems.yaml'));
    if (result.ok) throw new Error('expected problems');
    const positions = result.problems.map((p) => [p.line, p.col]);
    expect(positions).toEqual(
      [...positions].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0)),
    );
    expect(result.problems.map((p) => `${p.line}:${p.col} ${p.path}`)).toEqual([
      '10:9 probe.tenants[0].auth',
      '16:17 probe.tenants[1].auth.bearer',
      '18:5 probe.identity.jsonPointer',
      '20:5 probe.load.concurency',
      '21:15 probe.load.requests',
      '22:15 probe.load.duration',
    ]);
  });

  it('never quotes a value written where a credential belongs', () => {
    const problems = problemsOf(replace(10, '        bearer: s3cret-inline-token'));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/got a string \(not shown/);
    expect(problems.map(formatProblem).join('\n')).not.toContain('s3cret');
  });

  it('formats FILE:LINE:COL path: message, leaving out an empty path', () => {
    const base = { file: 'p.yaml', line: 3, col: 7, message: 'oops' };
    expect(formatProblem({ ...base, path: 'probe.load' })).toBe('p.yaml:3:7 probe.load: oops');
    expect(formatProblem({ ...base, path: '' })).toBe('p.yaml:3:7 oops');
  });

  it('prints paths with indexes and quotes odd keys', () => {
    const source = replace(10, '        headers: { "X Key": { env: "" } }');
    expect(problemsOf(source)[0]?.path).toBe('probe.tenants[0].auth.headers["X Key"].env');
  });

  it('reports an unreadable file as one problem at 1:1', async () => {
    const result = await loadPolicyFile('no-such-policy.yaml', FIXTURES);
    expect(result).toEqual({
      ok: false,
      problems: [
        {
          file: 'no-such-policy.yaml',
          line: 1,
          col: 1,
          path: '',
          message: 'cannot read the policy: no such file (ENOENT)',
        },
      ],
    });
  });

  it('reads a relative path from the given folder and labels problems with it', async () => {
    const result = await loadPolicyFile('valid.yaml', FIXTURES);
    expect(result).toMatchObject({ ok: true, file: 'valid.yaml' });
  });
});
