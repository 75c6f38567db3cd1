import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Io } from '../src/cli/command.ts';
import { policyCommand } from '../src/cli/policy.ts';
import { policyJsonSchema } from '../src/policy/json-schema.ts';

const ROOT = resolve(import.meta.dirname, '..');

/** Runs `vakt policy ...argv` from the repository root, capturing what it prints. */
async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: {}, // no secrets set: checking a policy must not need them
    cwd: ROOT,
    isTTY: false,
  };
  const code = await policyCommand.run(argv, io);
  return { code, stdout, stderr };
}

describe('vakt policy check', () => {
  it('prints FILE: ok for each valid file, without the secrets being set', async () => {
    const files = ['policies/example.yaml', 'policies/sample-shop.yaml'];
    const result = await run('check', ...files);
    expect(result).toMatchObject({
      code: 0,
      stdout: 'policies/example.yaml: ok\npolicies/sample-shop.yaml: ok\n',
    });
    expect(result.stderr).not.toContain('policies/example.yaml');
  });

  it('warns, with line and column, of a credential kind only one tenant uses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vakt-policy-'));
    const file = join(dir, 'one-key.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: vakt.dev/v1alpha1',
        'kind: Policy',
        'probe:',
        '  tenants:',
        '    - { name: alice, identity: u-1, auth: { bearer: { env: A } } }',
        '    - { name: bob, identity: u-2, auth: { bearer: { env: B } } }',
        '    - name: dave',
        '      identity: u-4',
        '      auth:',
        '        headers: { X-Api-Key: { env: D } }',
        '  identity: { path: /me, jsonPointer: /id }',
        '',
      ].join('\n'),
    );
    const result = await run('check', file);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${file}: ok\n`);
    expect(result.stderr).toMatch(
      new RegExp(
        `^${file}:10:9 probe\\.tenants\\[2\\]\\.auth: warning: tenant "dave" is the only one sending X-Api-Key`,
      ),
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('prints every problem as FILE:LINE:COL path: message and exits 2', async () => {
    const bad = 'test/fixtures/policies/many-problems.yaml';
    const result = await run('check', 'policies/example.yaml', bad);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('policies/example.yaml: ok\n');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    for (const line of lines)
      expect(line).toMatch(/^test\/fixtures\/policies\/many-problems\.yaml:\d+:\d+ probe\./);
    expect(lines).toContain(
      `${bad}:20:5 probe.load.concurency: unknown key "concurency" (did you mean "concurrency"?)`,
    );
    expect(result.stderr).not.toContain('abc-inline-token');
  });

  it('reports an unreadable file', async () => {
    const result = await run('check', 'nope.yaml');
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe('nope.yaml:1:1 cannot read the policy: no such file (ENOENT)\n');
  });

  it('needs at least one file', async () => {
    const result = await run('check');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'vakt policy: check needs at least one policy file (vakt policy check FILE...)\n',
    );
  });
});

describe('vakt policy schema', () => {
  it('prints the JSON Schema', async () => {
    const result = await run('schema');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(policyJsonSchema());
  });

  it('takes no arguments', async () => {
    const result = await run('schema', 'extra');
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/^vakt policy: schema takes no arguments/);
  });
});

describe('vakt policy: usage', () => {
  it.each([[[]], [['--help']], [['-h']], [['check', '--help']], [['schema', '-h']]])(
    'prints help for %j',
    async (argv) => {
      const result = await run(...argv);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(policyCommand.help);
      expect(result.stdout).toMatch(/Usage:/);
      expect(result.stdout).toMatch(/Options:/);
      expect(result.stdout).toMatch(/vakt policy check policies\//);
    },
  );

  it.each([
    [
      ['chek', 'x.yaml'],
      'vakt policy: unknown subcommand "chek": did you mean "check"? (see vakt policy --help)\n',
    ],
    [
      ['lint'],
      'vakt policy: unknown subcommand "lint": expected check or schema (see vakt policy --help)\n',
    ],
    [['--verbose'], "vakt policy: Unknown option '--verbose'\n"],
    [['check', '--strict', 'x.yaml'], "vakt policy: Unknown option '--strict'\n"],
  ])('rejects %j with one line and exit 2', async (argv, message) => {
    const result = await run(...argv);
    expect(result).toEqual({ code: 2, stdout: '', stderr: message });
  });
});
