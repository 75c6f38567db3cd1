// `vakt gate --image`: GitHub requests per decision with provenance (target
// <= 4), the time to verify one Sigstore bundle, and the gate's decision from a cold
// process. Bundles are real, signed by the test Sigstore instance; GitHub is a loopback
// server (a spawned CLI cannot see nock). BENCH_PROVENANCE_RUNS sets the cold rounds
// (default 10).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { main } from '../src/cli/main.ts';
import { checkAttestation } from '../src/provenance/check.ts';
import { GITHUB_COM } from '../src/provenance/instance.ts';
import { parseTrustRoots, type TrustRoot } from '../src/provenance/trust-roots.ts';
import { verifyBundle } from '../src/provenance/verify-bundle.ts';
import { attest, attestationsAnswer, COMMIT, DIGEST } from '../test/support/attestations.ts';
import { type FakeGitHub, startFakeGitHub } from '../test/support/fake-github.ts';
import { approvedWorld, DEFAULT_HEAD_SHA } from '../test/support/fake-github-server.ts';
import { captureIo } from '../test/support/io.ts';
import { type TestInstance, testInstance } from '../test/support/sigstore-world.ts';
import { type Figure, median } from './support.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const IMAGE = `ghcr.io/acme/shop@sha256:${DIGEST}`;
const WORKFLOW = '.github/workflows/release.yml';
const POLICY = [
  'apiVersion: vakt.dev/v1alpha1',
  'kind: Policy',
  'approval:',
  '  minApprovals: 2',
  `  provenance: { workflow: ${WORKFLOW} }`,
  '',
].join('\n');
const VERIFICATIONS = 200;
const REQUEST_TARGET = 4;

export async function benchProvenance(
  rounds = Number(process.env.BENCH_PROVENANCE_RUNS ?? 10),
): Promise<Figure[]> {
  const publicGood = await testInstance('public-good');
  const github = await testInstance('github');
  const dir = await mkdtemp(join(tmpdir(), 'vakt-bench-provenance-'));
  // The pull request merged as COMMIT, approved by two writers; the image built from it.
  const fake = await startFakeGitHub({
    ...approvedWorld(COMMIT, DEFAULT_HEAD_SHA),
    attestations: { [`sha256:${DIGEST}`]: attestationsAnswer([await attest(publicGood)]) },
  });
  try {
    const rootFile = join(dir, 'trusted-root.json');
    const policyFile = join(dir, 'policy.yaml');
    await writeFile(rootFile, JSON.stringify(publicGood.trustedRoot));
    await writeFile(policyFile, POLICY);
    const args = ['gate', '--image', IMAGE, '--repo', 'acme/shop', '--policy', policyFile];
    const gateArgs = [...args, '--trusted-root', rootFile];
    return [
      ...(await requestsPerDecision(fake, gateArgs)),
      ...(await verification(publicGood, 'public-good: log entry, SCT')),
      ...(await verification(github, "GitHub's instance: RFC 3161 timestamp")),
      ...(await coldGate(fake.url, gateArgs, rounds)),
    ];
  } finally {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** "GET /repos/acme/shop/commits/<sha>/pulls" -> "GET commits/{sha}/pulls". */
function endpoint(request: string): string {
  return request
    .replace(/^(\w+) \/repos\/[^/]+\/[^/]+\//, '$1 ')
    .replace(/\/[0-9a-f]{40}(?=\/|$)/, '/{sha}')
    .replace(/\/sha256%3A[0-9a-f]{64}$/i, '/{digest}');
}

async function requestsPerDecision(fake: FakeGitHub, args: string[]): Promise<Figure[]> {
  fake.requests.length = 0;
  const capture = captureIo({ GITHUB_TOKEN: 'ghp_bench', GITHUB_API_URL: fake.url });
  const code = await main(args, capture.io);
  if (code !== 0) throw new Error(`bench world not approved: ${capture.stdout}${capture.stderr}`);
  const byEndpoint = new Map<string, number>();
  for (const r of fake.requests)
    byEndpoint.set(endpoint(r), (byEndpoint.get(endpoint(r)) ?? 0) + 1);
  // Without lists past 100 items, the GraphQL ones are the deployed commit with its pull
  // request's facts, and the approvers.
  const what = (e: string) =>
    e === 'POST /graphql' ? `${e} (the commit's pull request with its facts, its approvers)` : e;
  const split = [...byEndpoint].map(([e, n]) => `${n} ${what(e)}`).join(', ');
  const total = fake.requests.length;
  // Each request needs the answer before it: the attestation names the commit, the commit
  // names its pull request (read whole in the same GraphQL answer, through
  // Commit.associatedPullRequests), whose head branch and reviewers name the pushes and
  // approvers to read. A miss means the one-answer way did not settle it and REST's
  // commits/{sha}/pulls and the pull request query ran as well.
  const fold = "the commit's pull request was read the long way (commits/{sha}/pulls)";
  return [
    {
      name: 'GitHub requests per decision, gate --image with provenance',
      value: total,
      unit: 'requests',
      note: `target <= ${REQUEST_TARGET}${total <= REQUEST_TARGET ? ', met' : `, missed: ${fold}`}; ${split}; one attestation, a merged pull request approved by two writers`,
    },
  ];
}

/**
 * The project's verification of one bundle (signature, chain, log or timestamp) and every
 * check the gate runs on it, each next to JSON.parse + sha256 of the same bundle's text in
 * the same loop, so a busy machine slows both alike.
 */
async function verification(instance: TestInstance, kind: string): Promise<Figure[]> {
  const roots: TrustRoot[] = parseTrustRoots(JSON.stringify(instance.trustedRoot), kind);
  const bundle = await attest(instance);
  const text = JSON.stringify(bundle);
  const policy = { workflow: WORKFLOW, refs: ['refs/heads/main'], org: false };
  const subject = { owner: 'acme', repo: 'shop', digest: DIGEST };
  const verify: number[] = [];
  const check: number[] = [];
  const reference: number[] = [];
  for (let i = 0; i < VERIFICATIONS + 10; i++) {
    const t0 = performance.now();
    const verified = verifyBundle(bundle, roots);
    const t1 = performance.now();
    const checked = checkAttestation({ ok: true, bundle }, roots, policy, subject, GITHUB_COM);
    const t2 = performance.now();
    if (!verified.ok || !checked.ok) throw new Error(`bench bundle does not verify (${kind})`);
    const r0 = performance.now();
    JSON.parse(text);
    createHash('sha256').update(text).digest('hex');
    const r1 = performance.now();
    if (i < 10) continue; // warm-up: the first calls compile the verifier's paths
    verify.push(t1 - t0);
    check.push(t2 - t1);
    reference.push(r1 - r0);
  }
  const p95 = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.95)] ?? 0;
  const base = median(reference);
  const note = (values: number[]) =>
    `p95 ${p95(values).toFixed(2)} ms, ${(median(values) / base).toFixed(0)}x JSON.parse + sha256 of the ${text.length}-byte bundle (${(base * 1000).toFixed(0)} us); ${VERIFICATIONS} runs`;
  return [
    {
      name: `bundle verification, ${kind}`,
      value: median(verify),
      unit: 'ms median',
      note: `verifyBundle (@sigstore/verify): ${note(verify)}`,
    },
    {
      name: `every check on one attestation, ${kind}`,
      value: median(check),
      unit: 'ms median',
      note: `checkAttestation: verification, identity, statement; ${note(check)}`,
    },
  ];
}

/** `node bin/vakt.js gate --image ...` from nothing to its exit, next to `node -e 0`. */
async function coldGate(api: string, args: string[], rounds: number): Promise<Figure[]> {
  const env = {
    PATH: process.env.PATH ?? '',
    ...(process.env.TMPDIR && { TMPDIR: process.env.TMPDIR }),
    GITHUB_TOKEN: 'ghp_bench',
    GITHUB_API_URL: api,
  };
  const wall = async (argv: string[], extra: Record<string, string> = {}) => {
    const t0 = performance.now();
    // An exit other than 0 (approved) rejects: a broken world must not time as a figure.
    await run(process.execPath, argv, { cwd: ROOT, env: { ...env, ...extra } });
    return performance.now() - t0;
  };
  const gate = ['bin/vakt.js', ...args];
  const idle = ['-e', '0'];
  // Warm-up: fills the file cache and Node's compile cache, as any second start finds them.
  await wall(idle);
  await wall(gate);
  const cold: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < rounds; i++) {
    baseline.push(await wall(idle));
    cold.push(await wall(gate));
  }
  const noCache = await wall(gate, { NODE_DISABLE_COMPILE_CACHE: '1' });
  const base = median(baseline);
  const ms = median(cold);
  return [
    { name: 'node -e 0', value: base, unit: 'ms median', note: `${rounds} runs` },
    {
      name: 'gate --image decision from a cold process',
      value: ms,
      unit: 'ms median',
      note: `${(ms / base).toFixed(1)}x node -e 0; node bin/vakt.js against loopback GitHub, retry and throttling on (as shipped), ${rounds} runs`,
    },
    {
      name: 'gate --image decision, first start (NODE_DISABLE_COMPILE_CACHE=1)',
      value: noCache,
      unit: 'ms',
      note: `${(noCache / base).toFixed(1)}x node -e 0; one run`,
    },
  ];
}

if (import.meta.main) {
  const { print } = await import('./support.ts');
  print(await benchProvenance());
}
