import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Io } from '../src/cli/command.ts';
import { policyCommand } from '../src/cli/policy.ts';
import { parsePath } from '../src/cli/policy-manifest.ts';

const DIR = mkdtempSync(join(tmpdir(), 'vakt-manifest-'));

/** Writes `lines` to a file and runs `vakt policy check` on it, capturing what it prints. */
async function check(name: string, lines: string[]) {
  const file = join(DIR, name);
  writeFileSync(file, lines.join('\n'));
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: {},
    cwd: DIR,
    isTTY: false,
  };
  const code = await policyCommand.run(['check', name], io);
  return { code, stdout, stderr, file: name };
}

const DEPLOYMENT = [
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata: { name: shop, namespace: shop }',
  'spec:',
  '  replicas: 2',
  '  selector: { matchLabels: { app: shop } }',
];

/** A valid guard; `service` is its spec.service block. */
function guard(name: string, service = ['  service: { port: 8080 }']): string[] {
  return [
    'apiVersion: vakt.dev/v1alpha1',
    'kind: ReleaseGuard',
    `metadata: { name: ${name}, namespace: shop }`,
    'spec:',
    `  targetRef: { name: ${name} }`,
    ...service,
    '  tenantsSecretRef: { name: shop-tenants }',
    '  source: { repository: acme/shop }',
    '  policy:',
    '    inline:',
    '      apiVersion: vakt.dev/v1alpha1',
    '      kind: Policy',
    '      probe:',
    '        tenants:',
    '          - { name: alice, identity: u-1, auth: { bearer: { env: A } } }',
    '          - { name: bob, identity: u-2, auth: { bearer: { env: B } } }',
    '        identity: { path: /me, jsonPointer: /id }',
  ];
}

describe('vakt policy check on ReleaseGuard manifests', () => {
  it('prints one ok line per guard and skips other kinds', async () => {
    const result = await check('fine.yaml', [
      ...DEPLOYMENT,
      '---',
      ...guard('shop'),
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata: { name: web }',
      '---',
      ...guard('admin'),
      '---',
      '',
    ]);
    expect(result).toEqual({
      code: 0,
      stdout:
        'ok: fine.yaml: ReleaseGuard shop (namespace shop)\nok: fine.yaml: ReleaseGuard admin (namespace shop)\n',
      stderr: '',
      file: 'fine.yaml',
    });
  });

  it('names the file, line and column of a bad field in one of several guards', async () => {
    const bad = guard('admin', ['  service:', '    port: 8080', '    targetPort: 70000']);
    const result = await check('mixed.yaml', [
      ...DEPLOYMENT,
      '---',
      ...guard('shop'),
      '---',
      ...bad,
    ]);
    // DEPLOYMENT is 6 lines, "---", the first guard 17 lines, "---": the second starts at 26.
    const line = 26 + bad.indexOf('    targetPort: 70000');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('ok: mixed.yaml: ReleaseGuard shop (namespace shop)\n');
    expect(result.stderr).toBe(
      `mixed.yaml:${line}:17 spec.service.targetPort: expected a number <= 65535, got number 70000\n`,
    );
  });

  it('points into the inline policy, as the operator names the field', async () => {
    const lines = guard('shop');
    const at = lines.indexOf(
      '          - { name: bob, identity: u-2, auth: { bearer: { env: B } } }',
    );
    lines[at] = '          - { name: bob, identity: u-2, auth: { bearer: { file: /etc/passwd } } }';
    const result = await check('inline.yaml', [...DEPLOYMENT, '---', ...lines]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `inline.yaml:${8 + at}:65 spec.policy.inline.probe.tenants[1].auth.bearer.file: use { env: KEY } naming a key of tenantsSecretRef, not { file: ... }\n`,
    );
  });

  it('reports a missing field at the mapping that should hold it, and an unknown key at the key', async () => {
    const lines = guard('shop', ['  service: { targetPort: 8080 }', '  bakeTim: 10m']);
    const result = await check('missing.yaml', lines);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      [
        'missing.yaml:6:12 spec.service.port: missing required field "port"',
        'missing.yaml:7:3 spec.bakeTim: unknown key "bakeTim" (did you mean "bakeTime"?)',
        '',
      ].join('\n'),
    );
  });

  it('notes that a policy in a ConfigMap is not checked offline, without failing', async () => {
    const lines = [
      ...guard('shop').slice(0, 9),
      '    configMapRef: { name: shop-policy, key: p.yaml }',
    ];
    const result = await check('configmap.yaml', lines);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('ok: configmap.yaml: ReleaseGuard shop (namespace shop)\n');
    expect(result.stderr).toMatch(
      /^configmap\.yaml:10:19 spec\.policy\.configMapRef: note: the policy in ConfigMap "shop-policy" key "p\.yaml" is not checked offline/,
    );
  });

  it('checks the apiVersion of a guard', async () => {
    const lines = guard('shop');
    lines[0] = 'apiVersion: vakt.dev/v1';
    const result = await check('version.yaml', [...DEPLOYMENT, '---', ...lines]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'version.yaml:8:13 apiVersion: expected "vakt.dev/v1alpha1", got string "vakt.dev/v1"\n',
    );
  });

  it('refuses a Policy document among manifests, which kubectl cannot apply', async () => {
    const policy = guard('shop')
      .slice(10)
      .map((l) => l.slice(6));
    const result = await check('with-policy.yaml', [...guard('shop'), '---', ...policy]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('ok: with-policy.yaml: ReleaseGuard shop (namespace shop)\n');
    expect(result.stderr).toMatch(
      /^with-policy\.yaml:20:7 kind: a Policy is not a Kubernetes object/,
    );
  });

  it('refuses an empty file, saying what it expected', async () => {
    const result = await check('empty.yaml', ['# nothing yet', '']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'empty.yaml:1:1 the file is empty: expected a vakt Policy (kind: Policy) or ReleaseGuard manifests (apiVersion: vakt.dev/v1alpha1, kind: ReleaseGuard)\n',
    );
  });

  it('refuses manifests with neither a Policy nor a ReleaseGuard', async () => {
    const result = await check('plain.yaml', [
      ...DEPLOYMENT,
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata: { name: web }',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'plain.yaml:1:1 expected a vakt Policy (kind: Policy) or ReleaseGuard manifests (apiVersion: vakt.dev/v1alpha1, kind: ReleaseGuard); found only Deployment, Service\n',
    );
  });

  it('reports a YAML syntax error at its position', async () => {
    const lines = guard('shop');
    lines[4] = '  targetRef: { name: shop';
    const result = await check('syntax.yaml', [...DEPLOYMENT, '---', ...lines]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const problems = result.stderr.trimEnd().split('\n');
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems)
      expect(problem).toMatch(/^syntax\.yaml:1[2-9]:\d+ invalid YAML: /);
  });

  it('still checks a policy file as before', async () => {
    const result = await check(
      'policy.yaml',
      guard('shop')
        .slice(10)
        .map((l) => l.slice(6)),
    );
    expect(result).toMatchObject({ code: 0, stdout: 'policy.yaml: ok\n', stderr: '' });
  });
});

describe('parsePath', () => {
  it('reads back the paths validation problems name', () => {
    expect(parsePath('spec.policy.inline.probe.tenants[1].auth')).toEqual([
      'spec',
      'policy',
      'inline',
      'probe',
      'tenants',
      1,
      'auth',
    ]);
    expect(parsePath('spec.policy.inline.probe.tenants[0].auth.headers["X Key"]')).toEqual([
      'spec',
      'policy',
      'inline',
      'probe',
      'tenants',
      0,
      'auth',
      'headers',
      'X Key',
    ]);
  });
});
