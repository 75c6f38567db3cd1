import { describe, expect, it } from 'vitest';
import { adopted, SHA, Story, template } from './support/decide-story.ts';

/**
 * status.candidateLabels: the labels of the candidate's pods, which admission policy
 * -candidate-services reads to refuse a Service selecting them. Written from what the
 * target's template says now, from adoption on.
 */

const labelled = (sha: string, labels: Record<string, string>) => {
  const tpl = template(sha);
  (tpl.metadata as { labels: Record<string, string> }).labels = labels;
  return tpl;
};

describe('decide: the candidate labels admission reads', () => {
  it('has none before adoption, while the target serves users, and records them when it adopts', () => {
    const story = new Story();
    story.step();
    story.observed.exposedBy = ['shop-public'];
    const waiting = story.step();
    expect(waiting.status.phase).toBe('Initializing');
    // The users' Services still select the target, which serves them: nothing to refuse yet.
    expect(waiting.status.candidateLabels).toBeUndefined();
    story.observed.exposedBy = [];
    const adoption = story.step();
    expect(adoption.status.adoptedAt).toBeDefined();
    expect(adoption.status.candidateLabels).toEqual({ app: 'shop' });
  });

  it("follows the target's template in the pass that sees a release, approved or not", () => {
    const story = adopted();
    story.deploy(labelled(SHA.two, { app: 'shop', version: 'v2', tier: 'web' }));
    const release = story.step();
    expect(release.status.phase).toBe('Blocked');
    expect(release.status.candidateLabels).toEqual({ app: 'shop', version: 'v2', tier: 'web' });
    story.deploy(labelled(SHA.three, { app: 'shop' }));
    expect(story.step().status.candidateLabels).toEqual({ app: 'shop' });
  });

  it('keeps them while the target is not seen: gone (one created again is the candidate again), or an invalid spec', () => {
    const story = adopted();
    story.observed.target = null;
    expect(story.step().status.candidateLabels).toEqual({ app: 'shop' });
    // An unreadable spec names no target to read: what was recorded stays.
    story.spec = { ...(story.spec as object), service: { port: 'http' } };
    const invalid = story.step();
    expect(invalid.status.phase).toBe('Invalid');
    expect(invalid.status.candidateLabels).toEqual({ app: 'shop' });
  });

  it('writes nothing new when nothing changed: the status stays the same', () => {
    const story = adopted();
    const again = story.repeat();
    expect(again.status.candidateLabels).toEqual(story.status?.candidateLabels);
    expect(again.status).toEqual(story.status);
  });
});
