// A runnable fake GitHub for the kind end-to-end workflow (.github/workflows/e2e-kind.yml):
// `node test/support/fake-github-server.ts`. It serves the two-person gate's queries for one
// merged pull request, approved by two qualified reviewers, so the operator's own gate
// approves a release built from FAKE_GITHUB_MERGE_SHA without a real GitHub. It is a test
// fixture: it never ships in the operator image, and the operator has no way to skip the gate.
//
// Environment: FAKE_GITHUB_PORT (8080), FAKE_GITHUB_HOST (0.0.0.0),
// FAKE_GITHUB_MERGE_SHA and FAKE_GITHUB_HEAD_SHA (40 hex digits each).
import { type AddressInfo, connect, createServer } from 'node:net';
import type { FakeWorld } from './fake-github.ts';
import { startFakeGitHub } from './fake-github.ts';
import { pullRequestAnswer, staff } from './github-answers.ts';

const SHA = /^[0-9a-f]{40}$/;

export const DEFAULT_MERGE_SHA = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
export const DEFAULT_HEAD_SHA = '9f2c4e1b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f';

/** Pull request #7 by alice into main, approved on its head commit by bob and carol. */
export function approvedWorld(mergeSha: string, headSha: string): FakeWorld {
  const review = (id: number, login: string) => ({
    databaseId: id,
    state: 'APPROVED',
    submittedAt: '2026-11-02T10:00:00Z',
    author: { login, __typename: 'User' },
    commit: { oid: headSha },
  });
  return {
    pullRequest: pullRequestAnswer({
      number: 7,
      author: 'alice',
      head: headSha,
      merge: mergeSha,
      commit: { oid: headSha, message: 'Cache personal pages for speed', author: staff('alice') },
      reviews: [review(7001, 'bob'), review(7002, 'carol')],
      files: ['src/cache.ts'],
    }),
    permissions: { alice: 'write', bob: 'write', carol: 'write' },
    teams: {},
    commitPulls: {
      [mergeSha]: [
        {
          number: 7,
          state: 'closed',
          merged_at: '2026-11-02T10:05:00Z',
          merge_commit_sha: mergeSha,
          head: { sha: headSha },
          base: { ref: 'main', repo: { default_branch: 'main' } },
        },
      ],
    },
  };
}

function sha(name: string, fallback: string): string {
  const value = (process.env[name] ?? fallback).toLowerCase();
  if (!SHA.test(value)) throw new Error(`${name} must be 40 hex digits, got "${value}"`);
  return value;
}

async function main(): Promise<void> {
  const port = Number(process.env.FAKE_GITHUB_PORT ?? 8080);
  const host = process.env.FAKE_GITHUB_HOST ?? '0.0.0.0';
  const world = approvedWorld(
    sha('FAKE_GITHUB_MERGE_SHA', DEFAULT_MERGE_SHA),
    sha('FAKE_GITHUB_HEAD_SHA', DEFAULT_HEAD_SHA),
  );
  // The fake listens on loopback only; a plain TCP relay makes it reachable from other pods.
  const fake = await startFakeGitHub(world);
  const upstream = new URL(fake.url);
  const relay = createServer((client) => {
    const server = connect(Number(upstream.port), upstream.hostname);
    client.pipe(server).pipe(client);
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(port, host, resolve));
  const bound = (relay.address() as AddressInfo).port;
  console.log(JSON.stringify({ msg: 'fake GitHub listening', host, port: bound }));
  const stop = () => {
    relay.close();
    void fake.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (import.meta.main) await main();
