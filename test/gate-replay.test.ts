import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decide } from '../src/approval/decide.ts';
import { FIXTURES, gateDecision, loadApprovalPolicy, loadRecording } from '../src/demo/gate.ts';
import { countRequests, createGitHub } from '../src/github/client.ts';
import { type Recording, replayFetch } from '../src/github/replay.ts';

/**
 * The demo's gate decides over recordings of GitHub's answers with the real fetcher.
 * These tests hold the recordings to that: each is asked for exactly once, a change in
 * a recorded answer changes the verdict, and a request the recording lacks is undecided.
 */

const PR = { owner: 'acme', repo: 'shop', pullNumber: 128 };

interface Review {
  databaseId: number;
  commit: { oid: string } | null;
}

async function replayed(recording: Recording) {
  const octokit = await createGitHub({
    token: 'replay',
    baseUrl: 'https://api.github.com',
    fetch: replayFetch(recording.exchanges),
    retries: false,
  });
  const requests = countRequests(octokit);
  const verdict = await decide(octokit, await loadApprovalPolicy(), PR);
  return { verdict, requests: requests.count };
}

describe('the demo gate recordings', () => {
  it.each([
    ['oneApproval', FIXTURES.oneApproval, 'denied'],
    ['twoApprovals', FIXTURES.twoApprovals, 'approved'],
  ] as const)('%s: every recorded answer is asked for once', async (_name, file, outcome) => {
    const recording = await loadRecording(file);
    const { verdict, requests } = await replayed(recording);
    expect(verdict.outcome).toBe(outcome);
    expect(requests).toBe(recording.exchanges.length);
  });

  it('deny v2 with one approval, naming the missing release manager', async () => {
    const v = await gateDecision(FIXTURES.oneApproval);
    expect(v.outcome).toBe('denied');
    expect(v.counted.map((c) => c.login)).toEqual(['rm-rasmus']);
    expect(v.missing).toEqual([
      'needs 1 more approval',
      'needs 1 more approval from @acme/release-managers',
    ]);
  });

  it('decide from what GitHub answered: the second approval on an older commit does not count', async () => {
    const recording = await loadRecording(FIXTURES.twoApprovals);
    const answer = recording.exchanges[0]?.response.body as {
      data: { repository: { pullRequest: { reviews: { nodes: Review[] } } } };
    };
    const sofia = answer.data.repository.pullRequest.reviews.nodes.find(
      (r) => r.databaseId === 5107,
    );
    if (!sofia) throw new Error('the recording lost rm-sofia’s review');
    sofia.commit = { oid: 'e'.repeat(40) };
    const { verdict } = await replayed(recording);
    expect(verdict.outcome).toBe('denied');
    expect(verdict.notCounted).toContainEqual({
      login: 'rm-sofia',
      reason: 'approved an older commit (eeeeeee), not the head',
    });
  });

  it('is undecided, naming the request, when the recording lacks an answer', async () => {
    const recording = await loadRecording(FIXTURES.oneApproval);
    const { verdict } = await replayed({
      ...recording,
      exchanges: recording.exchanges.slice(0, 1),
    });
    expect(verdict.outcome).toBe('undecided');
    expect(verdict.reasons[0]).toMatch(
      /the recording has no answer for GET \/repos\/acme\/shop\/activity/,
    );
  });

  it('refuses a file that is no recording, saying what is wrong', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vakt-replay-'));
    const file = join(dir, 'facts.json');
    // The demo's old hand-written facts: not what GitHub answers.
    await writeFile(file, JSON.stringify({ repository: 'acme/shop', pullRequest: { number: 1 } }));
    await expect(gateDecision(file)).rejects.toThrow(/is not a recording of GitHub's answers/);
  });
});
