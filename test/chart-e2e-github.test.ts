import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_MERGE_SHA } from './support/fake-github-server.ts';

/**
 * The kind workflow (.github/workflows/e2e-kind.yml) relies on the fake GitHub server
 * approving its release through the real two-person gate. This runs the same entry point
 * and the same gate (`vakt gate`) on loopback, so a change to either shows here first.
 */

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const WORKFLOW = resolve(ROOT, '.github/workflows/e2e-kind.yml');

let server: ChildProcess | undefined;
afterEach(() => {
  server?.kill('SIGTERM');
  server = undefined;
});

async function startServer(env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ['test/support/fake-github-server.ts'], {
    cwd: ROOT,
    env: { ...process.env, FAKE_GITHUB_HOST: '127.0.0.1', FAKE_GITHUB_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  server = child;
  const line = await new Promise<string>((resolveLine, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\n')) resolveLine(text.split('\n')[0] ?? '');
    });
    child.once('exit', (code) => reject(new Error(`fake GitHub exited with ${code}`)));
  });
  const { port } = JSON.parse(line) as { port: number };
  return `http://127.0.0.1:${port}`;
}

async function gate(url: string, sha: string): Promise<{ code: number; stdout: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'vakt-e2e-gate-'));
  const policy = join(dir, 'policy.yaml');
  // The workflow's inline policy: the sample shop's, with two approvals required.
  const sample = parse(await readFile(resolve(ROOT, 'policies/sample-shop.yaml'), 'utf8'));
  await writeFile(policy, stringify({ ...sample, approval: { minApprovals: 2 } }));
  const args = ['bin/vakt.js', 'gate', '--policy', policy, '--repo', 'acme/shop', '--sha', sha];
  const env = { ...process.env, GITHUB_API_URL: url, GITHUB_TOKEN: 'e2e-not-a-real-token' };
  try {
    const { stdout } = await run(process.execPath, args, { cwd: ROOT, env });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '' };
  }
}

describe('the fake GitHub of the kind workflow', () => {
  it('approves its merge commit through the real gate, with two counted approvals', async () => {
    const url = await startServer({});
    const verdict = await gate(url, DEFAULT_MERGE_SHA);
    expect(verdict.stdout).toMatch(/APPROVED\s+2\/2 qualified approvals/);
    expect(verdict.code).toBe(0);
  });

  it('approves nothing else: any other commit bypassed review', async () => {
    const url = await startServer({});
    const verdict = await gate(url, '1a410efbd13591db07496601ebc7a059dd55cfe9');
    expect(verdict.code).toBe(1);
    expect(verdict.stdout).toMatch(/DENIED/);
  });

  it('is told the same merge commit the workflow releases', async () => {
    const workflow = parse(await readFile(WORKFLOW, 'utf8')) as {
      jobs: { kind: { env: Record<string, string> } };
    };
    const sha = workflow.jobs.kind.env.APPROVED_SHA as string;
    const url = await startServer({ FAKE_GITHUB_MERGE_SHA: sha });
    expect((await gate(url, sha)).code).toBe(0);
  });
});
