import { describe, expect, it } from 'vitest';
import type { Action } from '../src/release/state.ts';
import { approval, events, H2, inCanary, probe, SHA } from './support/decide-story.ts';

/** Pods that are not the target's answer on `<name>-canary`: nothing is probed or promoted. */

const checks = (actions: Action[]) => actions.filter((a) => a.kind === 'checkApproval');

describe('decide: other pods behind <name>-canary', () => {
  it('holds the candidate at zero and ignores a passing run while they are there', () => {
    const story = inCanary(SHA.two);
    story.observed.foreignCanaryPods = ['stub'];
    const held = story.step([probe('candidate', 'canary', H2, 'pass')]);
    expect(held.status.phase).toBe('Blocked');
    expect(held.status.canaryPassed).toBeUndefined();
    expect(checks(held.actions)).toEqual([]);
    expect(held.actions).toContainEqual({ kind: 'scaleCandidate', replicas: 0 });
    expect(held.actions).toContainEqual({ kind: 'stopProbe' });
    expect(events(held.actions).map((e) => e.reason)).toEqual(['CanaryPolluted']);
    // Said once while it lasts.
    expect(events(story.step().actions)).toEqual([]);

    story.observed.foreignCanaryPods = [];
    expect(story.step().status.phase).toBe('Canary');
  });

  it('a pass waiting for its confirmation is dropped when they appear', () => {
    const story = inCanary(SHA.two);
    story.step([probe('candidate', 'canary', H2, 'pass')]);
    story.observed.foreignCanaryPods = ['stub'];
    const next = story.step([approval(H2, SHA.two, 'approved')]);
    expect(next.actions.filter((a) => a.kind === 'setStable')).toEqual([]);
    expect(next.status.phase).toBe('Blocked');
  });

  it('a leak is still a leak', () => {
    const story = inCanary(SHA.two);
    story.observed.foreignCanaryPods = ['stub'];
    expect(story.step([probe('candidate', 'canary', H2, 'leak')]).status.phase).toBe('Reverted');
  });
});
