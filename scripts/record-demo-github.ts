// Records what GitHub answers the gate about the demo's pull request, for `vakt demo` to
// replay (src/demo/fixtures/v2-*.json): `npm run record-demo`. The real fetcher (decide())
// asks a loopback fake GitHub (test/support/fake-github.ts) seeded with acme/shop#128, and
// every request and answer is written down as it passes. Run it whenever the gate's queries
// change; test/demo-recordings.test.ts fails while a committed recording is stale.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { decide } from '../src/approval/decide.ts';
import type { ApprovalVerdict } from '../src/approval/verdict.ts';
import { FIXTURES, loadApprovalPolicy } from '../src/demo/gate.ts';
import { createGitHub } from '../src/github/client.ts';
import { type Exchange, type Recording, replayFetch, requestOf } from '../src/github/replay.ts';
import { type FakeWorld, startFakeGitHub } from '../test/support/fake-github.ts';
import { type GitPerson, pullRequestAnswer } from '../test/support/github-answers.ts';

/** The pull request the demo's gate decides about. */
const SUBJECT = { owner: 'acme', repo: 'shop', pullNumber: 128 };

const BASE_SHA = '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567';
const HEAD_SHA = '7c1e9a42d5b3f6081e2a4c6b8d0f1a3c5e7b9d2f';
const MERGE_SHA = 'b2d4f6a8c0e1d3f5a7b9c1e3d5f7a9b1c3e5d7f9';

const DANA: GitPerson = { name: 'Dana Dev', email: 'dana@acme.example', login: 'dev-dana' };

interface Review {
  id: number;
  login: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED';
  submittedAt: string;
}

const OLLE_COMMENTS: Review = {
  id: 5101,
  login: 'olle',
  state: 'COMMENTED',
  submittedAt: '2026-05-04T09:12:00Z',
};
const RASMUS_APPROVES: Review = {
  id: 5102,
  login: 'rm-rasmus',
  state: 'APPROVED',
  submittedAt: '2026-05-04T09:40:00Z',
};
const SOFIA_APPROVES: Review = {
  id: 5107,
  login: 'rm-sofia',
  state: 'APPROVED',
  submittedAt: '2026-05-04T10:05:00Z',
};

interface DemoRecording {
  file: string;
  description: string;
  reviews: Review[];
  /** What the gate must decide over it; anything else is not the demo's story. */
  outcome: ApprovalVerdict['outcome'];
}

const RECORDINGS: readonly DemoRecording[] = [
  {
    file: FIXTURES.oneApproval,
    description:
      'Pull request #128 (v2 of the shop) with one approval, from release manager rm-rasmus: what GitHub answered the gate.',
    reviews: [OLLE_COMMENTS, RASMUS_APPROVES],
    outcome: 'denied',
  },
  {
    file: FIXTURES.twoApprovals,
    description:
      'Pull request #128 (v2 of the shop) after a second release manager, rm-sofia, approved: what GitHub answered the gate.',
    reviews: [OLLE_COMMENTS, RASMUS_APPROVES, SOFIA_APPROVES],
    outcome: 'approved',
  },
];

/**
 * GitHub as it stands for acme/shop#128: dev-dana's one commit, reviewed as `reviews`
 * says; two release managers who maintain the repository (and a bot whose login starts
 * like one of theirs, which the team search turns up too).
 */
function demoWorld(reviews: readonly Review[]): FakeWorld {
  return {
    pullRequest: pullRequestAnswer({
      number: SUBJECT.pullNumber,
      author: 'dev-dana',
      base: BASE_SHA,
      head: HEAD_SHA,
      merge: MERGE_SHA,
      commit: {
        oid: HEAD_SHA,
        message: 'Serve account pages faster\n\nCache the personal pages at the edge for 60 s.',
        author: DANA,
      },
      reviews: reviews.map((r) => ({
        databaseId: r.id,
        state: r.state,
        submittedAt: r.submittedAt,
        author: { login: r.login, __typename: 'User' },
        commit: { oid: HEAD_SHA },
      })),
      files: ['src/shop/personal.ts', 'deploy/cache.yaml'],
    }),
    permissions: { 'rm-rasmus': 'maintain', 'rm-sofia': 'maintain' },
    teams: { 'acme/release-managers': ['rm-rasmus', 'rm-rasmus-bot', 'rm-sofia'] },
  };
}

/** A fetch that sends each request on and writes down the request and its answer. */
function recordingFetch(exchanges: Exchange[]): typeof fetch {
  return async (input, init) => {
    const request = requestOf(input, init);
    const { method } = request;
    if (method !== 'GET' && method !== 'POST')
      throw new Error(`unexpected ${method} ${request.path}`);
    const response = await fetch(input, init);
    const text = await response.clone().text();
    exchanges.push({
      request: { ...request, method },
      response: { status: response.status, body: text === '' ? null : JSON.parse(text) },
    });
    return response;
  };
}

async function decideOver(fetcher: typeof fetch, baseUrl: string): Promise<ApprovalVerdict> {
  // As the demo does: no retries, so each request is made (and recorded) exactly once.
  const octokit = await createGitHub({
    token: 'demo-record',
    baseUrl,
    fetch: fetcher,
    retries: false,
  });
  return decide(octokit, await loadApprovalPolicy(), SUBJECT);
}

async function record(spec: DemoRecording): Promise<Recording> {
  const fake = await startFakeGitHub(demoWorld(spec.reviews));
  const exchanges: Exchange[] = [];
  try {
    const live = await decideOver(recordingFetch(exchanges), fake.url);
    const name = relative(process.cwd(), spec.file);
    if (live.outcome !== spec.outcome) {
      throw new Error(
        `${name}: the gate decided ${live.outcome}, not ${spec.outcome}: ${live.reasons.join('; ')}`,
      );
    }
    const replayed = await decideOver(replayFetch(exchanges), 'https://api.github.com');
    if (!isDeepStrictEqual(replayed, live)) {
      throw new Error(`${name}: replaying the recording decides differently from the fake GitHub`);
    }
  } finally {
    await fake.close();
  }
  return { description: spec.description, exchanges };
}

/** Each recording's file and the text it must hold. */
export async function recordDemoGitHub(): Promise<{ file: string; text: string }[]> {
  const files: { file: string; text: string }[] = [];
  for (const spec of RECORDINGS) {
    files.push({ file: spec.file, text: `${JSON.stringify(await record(spec), null, 2)}\n` });
  }
  return files;
}

if (import.meta.main) {
  for (const { file, text } of await recordDemoGitHub()) {
    writeFileSync(file, text);
    console.log(`wrote ${relative(process.cwd(), file)}`);
  }
}
