import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workspaceFile } from '../src/action/bad-input.ts';
import { loadPolicyFile, type PolicyProblem } from '../src/policy/load.ts';
import { formatRate } from '../src/report/numbers.ts';
import { type Shop, startShop } from '../src/shop/index.ts';
import { runStep, type StepRun } from './support/action-step.ts';
import { SAMPLE_POLICY, shopEnv, shopSecrets } from './support/shop-probe.ts';

const ROOT = resolve(import.meta.dirname, '..');
const TOKEN = 'ghs_annotationTestToken0123456789ab';
const BROKEN = 'test/fixtures/policies/many-problems.yaml';
const PUSH = { name: 'push', payload: {} };

let shop: Shop | undefined;
afterEach(async () => {
  await shop?.close();
  shop = undefined;
});

/**
 * The workflow commands of one kind the step printed, `::error title=...,file=...::message`,
 * with the message unescaped as the runner shows it (`%25` is `%`).
 */
function commands(step: StepRun, kind: 'error' | 'warning' | 'notice'): string[] {
  return step.stdout
    .split('\n')
    .filter((line) => line.startsWith(`::${kind} `) || line.startsWith(`::${kind}::`))
    .map((line) => {
      const at = line.indexOf('::', 2) + 2;
      const message = line.slice(at).replace(/%0A/g, '\n').replace(/%0D/g, '\r');
      return line.slice(0, at) + message.replace(/%25/g, '%');
    });
}

/** The annotation GitHub puts on the file for one problem, as the runner reads it. */
function annotationFor(command: string, level: string, p: PolicyProblem, file: string): string {
  const title = `vakt ${command}%3A policy ${level}`;
  const text = `${p.path ? `${p.path}: ` : ''}${p.message.replace(/^warning: /, '')}`;
  return `::${level === 'problem' ? 'error' : 'warning'} title=${title},file=${file},line=${p.line},col=${p.col}::${text}`;
}

async function problemsOf(file: string): Promise<PolicyProblem[]> {
  const loaded = await loadPolicyFile(file, ROOT);
  if (loaded.ok) throw new Error(`${file} was meant to be invalid`);
  return loaded.problems;
}

async function workspace(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vakt-workspace-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

describe('the Action on a malformed policy', () => {
  it('gives each problem its own annotation at file, line and column (probe)', async () => {
    const problems = await problemsOf(BROKEN);
    expect(problems).toHaveLength(6);
    const step = await runStep({ command: 'probe', policy: BROKEN }, PUSH);
    expect(step.code).toBe(2);
    expect(step.outputs.verdict).toBe('invalid');
    const errors = commands(step, 'error');
    expect(errors.slice(0, -1)).toEqual(
      problems.map((p) => annotationFor('probe', 'problem', p, BROKEN)),
    );
    expect(errors).toContain(
      '::error title=vakt probe%3A policy problem,file=test/fixtures/policies/many-problems.yaml,line=20,col=5::probe.load.concurency: unknown key "concurency" (did you mean "concurrency"?)',
    );
    // The step's own failure comes last, once, and does not repeat the problems.
    expect(errors.at(-1)).toBe(
      `::error::vakt probe exited 2: 6 problems in the policy file ${BROKEN} (see the annotations)`,
    );
    expect(step.summary).toContain(`The policy file \`${BROKEN}\` has 6 problems:`);
    for (const p of problems) {
      expect(step.summary).toContain(`| \`${BROKEN}:${p.line}:${p.col}\` | \`${p.path}\` |`);
    }
    // The tenant's inline token is a credential: described, never quoted.
    for (const text of [step.stdout, step.stderr, step.summary]) {
      expect(text).not.toContain('abc-inline-token');
    }
  });

  it('points the gate at the file relative to the workspace, however the path was given', async () => {
    const dir = await workspace({
      'config/vakt.yaml':
        'apiVersion: vakt.dev/v1alpha1\nkind: Policy\napproval:\n  minApprovals: two\n  minApprovals: 3\n',
    });
    for (const policy of ['config/vakt.yaml', join(dir, 'config/vakt.yaml')]) {
      const step = await runStep({ policy, token: TOKEN, pr: '42' }, PUSH, {
        GITHUB_WORKSPACE: dir,
      });
      expect(step.code).toBe(2);
      expect(step.outputs.verdict).toBe('invalid');
      expect(commands(step, 'error')).toEqual([
        '::error title=vakt gate%3A policy problem,file=config/vakt.yaml,line=5,col=3::duplicate key "minApprovals": a key may appear once per mapping',
        `::error::vakt gate exited 2: 1 problem in the policy file ${policy} (see the annotations)`,
      ]);
      expect(step.summary).toContain('| `config/vakt.yaml:5:3` |  | duplicate key "minApprovals"');
    }
  });

  it('names a policy without the section the command needs, at the top of the file', async () => {
    const step = await runStep(
      { policy: 'test/fixtures/policies/valid.yaml', token: TOKEN, pr: '42' },
      PUSH,
    );
    expect(step.code).toBe(2);
    expect(commands(step, 'error')[0]).toBe(
      '::error title=vakt gate%3A policy problem,file=test/fixtures/policies/valid.yaml,line=1,col=1::has no approval section: the gate needs one (see policies/example.yaml)',
    );
  });

  it('keeps the position in the message when the file is outside the workspace', async () => {
    const outside = await workspace({ 'vakt.yaml': 'kind: Policy\nprobe: [1\n' });
    const file = join(outside, 'vakt.yaml');
    const step = await runStep({ command: 'probe', policy: file }, PUSH);
    const [first] = commands(step, 'error');
    expect(first).toMatch(/^::error title=vakt probe%3A policy problem::/);
    expect(first).toContain(`::${file}:3:1 invalid YAML: `);
    expect(first).not.toContain('file=');
  });

  it('stays within GitHub limit of annotations and says how many more the summary lists', async () => {
    const keys = Array.from({ length: 14 }, (_, i) => `  extra${i}: 1`).join('\n');
    const dir = await workspace({
      'vakt.yaml': `apiVersion: vakt.dev/v1alpha1\nkind: Policy\napproval:\n${keys}\n`,
    });
    const step = await runStep({ policy: 'vakt.yaml', token: TOKEN, pr: '42' }, PUSH, {
      GITHUB_WORKSPACE: dir,
    });
    const errors = commands(step, 'error');
    // Ten in all: eight problems, how many more, the step's failure.
    expect(errors).toHaveLength(10);
    expect(errors.slice(0, 8).every((e) => e.includes(',file=vakt.yaml,line='))).toBe(true);
    expect(errors[8]).toBe(
      '::error title=vakt gate%3A policy problem::6 more errors: see the job summary',
    );
    expect(errors[9]).toMatch(/^::error::vakt gate exited 2: 14 problems in the policy file/);
    expect(step.summary.match(/^\| `vakt\.yaml:\d+:\d+` /gm)).toHaveLength(14);
  });
});

describe('the Action on bad input', () => {
  it('writes a job summary when an input is wrong before anything runs', async () => {
    const step = await runStep({ command: 'deploy', policy: BROKEN, token: TOKEN }, PUSH);
    expect(step.code).toBe(2);
    expect(step.outputs.verdict).toBe('invalid');
    expect(step.summary).toContain('| Verdict | invalid |');
    expect(step.summary).toContain('| Why | bad input: nothing was decided (exit 2) |');
    expect(step.summary).toContain('- input "command" must be gate or probe, got "deploy"');
  });

  it('writes a job summary naming the input behind a flag the command refused', async () => {
    const step = await runStep(
      { command: 'probe', policy: SAMPLE_POLICY, target: 'ftp://canary' },
      PUSH,
    );
    expect(step.code).toBe(2);
    expect(step.outputs.verdict).toBe('invalid');
    expect(step.summary).toContain('## ⛔ vakt probe: INVALID INPUT');
    expect(step.summary).toContain('- --target expects an http(s) URL, got "ftp://canary"');
    expect(step.summary).toContain("`--target` comes from the step's input `target`.");
    expect(commands(step, 'error')).toEqual([
      '::error::vakt probe exited 2: --target expects an http(s) URL, got "ftp://canary"',
    ]);

    const noToken = await runStep({ policy: 'test/fixtures/policies/gate.yaml', pr: '42' }, PUSH);
    expect(noToken.code).toBe(2);
    expect(noToken.summary).toContain("`GITHUB_TOKEN` comes from the step's input `token`.");
  });

  it('keeps the token out of the summary and the log, even when it lands in another input', async () => {
    const step = await runStep(
      { policy: 'test/fixtures/policies/gate.yaml', token: TOKEN, pr: TOKEN },
      PUSH,
    );
    expect(step.code).toBe(2);
    // Markdown escapes the brackets: [redacted] as the reader sees it.
    expect(step.summary).toContain('- --pr expects a pull request number, got "\\[redacted\\]"');
    expect(step.masked).toEqual([TOKEN]);
    for (const text of [step.stdout, step.summary, step.files]) expect(text).not.toContain(TOKEN);
  });
});

describe('workspaceFile', () => {
  it.each([
    ['policy.yaml', '/w', 'policy.yaml'],
    ['/w/.github/vakt.yaml', '/w', '.github/vakt.yaml'],
    ['./a/../b.yaml', '/w', 'b.yaml'],
    ['../other/vakt.yaml', '/w', undefined],
    ['/elsewhere/vakt.yaml', '/w', undefined],
    ['..vakt.yaml', '/w', '..vakt.yaml'],
  ])('%s in %s is %s', (file, dir, expected) => {
    expect(workspaceFile(file, dir)).toBe(expected);
  });
});

describe('the Action numbers', () => {
  it('formats counts, rates and durations one way in the summary and annotations, raw in outputs', async () => {
    shop = await startShop({});
    const text = await readFile(SAMPLE_POLICY, 'utf8');
    // Fewer samples than the bound needs: over a thousand requests, and an inconclusive run.
    const dir = await workspace({ 'vakt.yaml': text.replace('requests: 3000', 'requests: 1200') });
    const step = await runStep({ command: 'probe', policy: 'vakt.yaml', target: shop.url }, PUSH, {
      ...shopEnv(),
      GITHUB_WORKSPACE: dir,
    });
    expect(step.code).toBe(3);
    expect(step.outputs.verdict).toBe('inconclusive');

    // Outputs are for machines: plain numbers.
    expect(step.outputs.requests).toMatch(/^\d{4,}$/);
    expect(step.outputs['leak-rate-bound']).toMatch(/^0\.\d+$/);
    const sent = Number(step.outputs.requests);
    const bound = formatRate(Number(step.outputs['leak-rate-bound']), 'up');
    expect(bound).toMatch(/^0\.\d+%$/);

    const grouped = sent.toLocaleString('en-US');
    expect(step.summary).toMatch(
      new RegExp(`\\| Requests \\| ${grouped} sent = 1,2\\d\\d checked \\+ `),
    );
    expect(step.summary).toContain(
      `| Leak-rate bound | leak rate below ${bound} at 95% confidence (policy: at most 0.1%) |`,
    );
    // The CLI's Markdown report below the table says the same, in the same units.
    expect(step.summary).toMatch(
      /\| requests \| \d,\d{3} sent = 1,2\d\d checked \+ [\d,]+ logged in \+ /,
    );
    expect(step.summary).toMatch(
      /\| latency \| p50 (\d\.\d|\d{2,3}) ms, p99 (\d\.\d|\d{2,3}) ms \|/,
    );
    expect(step.summary).toMatch(/, ran (\d\.\d ms|\d{2,3} ms|[\d,]+\.\d s) \|/);
    expect(step.summary).not.toMatch(/\d{4,} (sent|checked|samples)/);

    const [inconclusive] = commands(step, 'error');
    expect(inconclusive).toMatch(
      new RegExp(
        `^::error title=vakt probe%3A inconclusive::1,2\\d\\d clean samples bound the leak rate below ${bound.replace('.', '\\.')} at 95% confidence, above maxLeakRate 0\\.1%: needs 2,995 samples`,
      ),
    );

    // The sample policy's blind spots, each on its tenant's auth in the file.
    const warnings = commands(step, 'warning').filter((w) => w.includes('policy warning'));
    expect(warnings).toEqual([
      expect.stringMatching(
        /^::warning title=vakt probe%3A policy warning,file=vakt\.yaml,line=35,col=9::probe\.tenants\[2\]\.auth: tenant "carol" is the only one sending Cookie/,
      ),
      expect.stringMatching(
        /^::warning title=vakt probe%3A policy warning,file=vakt\.yaml,line=43,col=9::probe\.tenants\[3\]\.auth: tenant "dave" is the only one sending X-Api-Key/,
      ),
    ]);
    for (const secret of shopSecrets()) {
      for (const output of [step.stdout, step.stderr, step.summary, step.files]) {
        expect(output).not.toContain(secret);
      }
    }
  });
});
