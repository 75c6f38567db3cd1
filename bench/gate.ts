// The two-person gate's figures: GitHub requests per decision, decision time against a
// loopback GitHub, and the cold start of the bundled Action.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { decide, type GateRequest } from '../src/approval/decide.ts';
import { ApprovalSpec } from '../src/approval/schema.ts';
import { countRequests, createGitHub } from '../src/github/client.ts';
import { type FakeWorld, startFakeGitHub } from '../test/support/fake-github.ts';
import {
  BASE_SHA,
  commitNode,
  HEAD_REF,
  signatureOf,
  staff,
} from '../test/support/github-answers.ts';
import { type Figure, median } from './support.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const HEAD = 'f'.repeat(40);
const MERGE = 'e'.repeat(40);
const REVIEWERS = 20;

/** A busy pull request: 100 commits, 100 reviews by 20 people, 100 changed files. */
export function busyWorld(): FakeWorld {
  const login = (i: number) => `reviewer${i}`;
  const commits = Array.from({ length: 100 }, (_, i) =>
    commitNode({
      oid: i === 99 ? HEAD : i.toString(16).padStart(40, '0'),
      author: staff('alice'),
      committer: { name: 'GitHub', email: 'noreply@github.com', login: 'web-flow' },
      coAuthors: [{ name: `Pair ${i}`, email: `pair${i}@acme.example`, login: `pair${i}` }],
    }),
  );
  const reviews = Array.from({ length: 100 }, (_, i) => ({
    databaseId: 5000 + i,
    state: i >= 98 ? 'APPROVED' : 'COMMENTED',
    submittedAt: `2026-11-02T10:${String(i % 60).padStart(2, '0')}:00Z`,
    author: { login: login(i >= 98 ? i - 98 : i % REVIEWERS), __typename: 'User' },
    commit: { oid: HEAD },
  }));
  const page = <N>(nodes: N[]) => ({
    totalCount: nodes.length,
    pageInfo: { hasNextPage: false, endCursor: 'end' },
    nodes,
  });
  const pullRequest = {
    data: {
      repository: {
        pullRequest: {
          number: 42,
          author: { login: 'alice', __typename: 'User' },
          baseRefName: 'main',
          baseRefOid: BASE_SHA,
          headRefName: HEAD_REF,
          headRefOid: HEAD,
          isCrossRepository: false,
          headRepository: { nameWithOwner: 'acme/shop' },
          mergeCommit: { oid: MERGE, signature: signatureOf() },
          commits: page(commits),
          reviews: page(reviews),
          files: page(Array.from({ length: 100 }, (_, i) => ({ path: `src/f${i}.ts` }))),
          timelineItems: page([]),
        },
      },
    },
  };
  const permissions = Object.fromEntries(
    Array.from({ length: REVIEWERS }, (_, i) => [login(i), 'write' as const]),
  );
  const pull = {
    number: 42,
    state: 'closed',
    merged_at: '2026-11-02T11:00:00Z',
    merge_commit_sha: MERGE,
    head: { sha: HEAD },
    base: { ref: 'main', repo: { default_branch: 'main' } },
  };
  return {
    pullRequest,
    permissions,
    teams: { 'acme/release-managers': [login(1)] },
    commitPulls: { [MERGE]: [pull] },
  };
}

const POLICY = ApprovalSpec.parse({ requireFrom: [{ teams: ['acme/release-managers'] }] });

export async function benchGate(): Promise<Figure[]> {
  const github = await startFakeGitHub(busyWorld());
  const figures: Figure[] = [];
  try {
    const requests = async (request: GateRequest) => {
      const octokit = await createGitHub({ token: 'bench', baseUrl: github.url, retries: false });
      const counter = countRequests(octokit);
      const verdict = await decide(octokit, POLICY, request);
      if (verdict.outcome !== 'approved')
        throw new Error(`bench world not approved: ${verdict.reasons}`);
      return counter.count;
    };
    const pr: GateRequest = { owner: 'acme', repo: 'shop', pullNumber: 42 };
    const sha: GateRequest = { owner: 'acme', repo: 'shop', sha: MERGE };
    const note = `100 commits, 100 reviews by ${REVIEWERS} people, 100 files, a team rule`;
    figures.push(
      {
        name: 'GitHub requests per decision, --pr',
        value: await requests(pr),
        unit: 'requests',
        note,
      },
      {
        name: 'GitHub requests per decision, --sha',
        value: await requests(sha),
        unit: 'requests',
        note,
      },
    );

    const times: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t0 = performance.now();
      const octokit = await createGitHub({ token: 'bench', baseUrl: github.url, retries: false });
      await decide(octokit, POLICY, sha);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    figures.push({
      name: 'decision time, --sha, loopback GitHub',
      value: median(times.slice(5)),
      unit: 'ms median',
      note: `p90 ${times[Math.floor(times.length * 0.9)]?.toFixed(1)} ms over ${times.length} decisions, first 5 as warm-up excluded from the median`,
    });
    // As shipped: retry and throttling on, each client with its own limiters, read-only
    // queries unpaced and mutations a second apart (src/github/pacing.ts).
    const shipped = () => createGitHub({ token: 'bench', baseUrl: github.url });
    const fresh: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      await decide(await shipped(), POLICY, sha);
      fresh.push(performance.now() - t0);
    }
    figures.push({
      name: 'decision time, --sha, retry and throttling on (as shipped)',
      value: median(fresh),
      unit: 'ms median',
      note: '10 decisions one after another, a new client each, as the CLI and the Action do',
    });
    // The operator's shape: one long-lived client, many guards deciding at once.
    const one = await shipped();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 10 }, () => decide(one, POLICY, sha)));
    figures.push({
      name: '10 decisions at once on one client, as shipped',
      value: performance.now() - t0,
      unit: 'ms total',
      note: 'the operator deciding for 10 guards in one process',
    });
    const statuses = performance.now();
    await Promise.all(
      ['a', 'b', 'c'].map((c) =>
        one.request('POST /repos/{owner}/{repo}/statuses/{sha}', {
          owner: 'acme',
          repo: 'shop',
          sha: c.repeat(40),
          state: 'success',
          context: 'vakt/two-person',
        }),
      ),
    );
    figures.push({
      name: '3 commit statuses posted at once, as shipped',
      value: performance.now() - statuses,
      unit: 'ms total',
      note: 'mutations stay one at a time, a second apart, as GitHub asks',
    });
    figures.push(...(await coldStart(github.url)));
  } finally {
    await github.close();
  }
  return figures;
}

/** `node dist/action.js` as the runner starts it, from nothing to the step's exit. */
async function coldStart(api: string): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'vakt-bench-action-'));
  const event = join(dir, 'event.json');
  await writeFile(event, JSON.stringify({ after: MERGE }));
  const env = {
    PATH: process.env.PATH ?? '',
    GITHUB_API_URL: api,
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: event,
    GITHUB_WORKSPACE: ROOT,
    RUNNER_TEMP: dir,
    INPUT_POLICY: 'test/fixtures/policies/gate.yaml',
    INPUT_TOKEN: 'bench',
  };
  const wall = async (extra: Record<string, string>) => {
    const t0 = performance.now();
    await run(process.execPath, ['dist/action.js'], { cwd: ROOT, env: { ...env, ...extra } }).catch(
      () => undefined, // a denial exits 1; only the time matters here
    );
    return performance.now() - t0;
  };
  const full: number[] = [];
  const unthrottled: number[] = [];
  const startOnly: number[] = [];
  for (let i = 0; i < 10; i++) {
    full.push(await wall({}));
    unthrottled.push(await wall({ VAKT_GITHUB_RETRIES: '0' }));
    startOnly.push(await wall({ INPUT_COMMAND: 'nothing' }));
  }
  return [
    {
      name: 'Action cold start to exit, bad input',
      value: median(startOnly),
      unit: 'ms median',
      note: 'node dist/action.js: load the bundle, read inputs, refuse; 10 runs',
    },
    {
      name: 'Action cold start to a gate verdict',
      value: median(full),
      unit: 'ms median',
      note: 'node dist/action.js on a push event against loopback GitHub, as shipped; 10 runs',
    },
    {
      name: 'Action cold start to a gate verdict, throttling off',
      value: median(unthrottled),
      unit: 'ms median',
      note: 'the same with VAKT_GITHUB_RETRIES=0: startup plus three requests',
    },
  ];
}

if (import.meta.main) {
  const { print } = await import('./support.ts');
  print(await benchGate());
}
