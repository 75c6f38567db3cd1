import { describe, expect, it } from 'vitest';
import { type DecisionFacts, notificationFor } from '../src/notify/from-decision.ts';
import { bodyFor, slackBody, teamsBody } from '../src/notify/payloads.ts';
import {
  type ReleaseGuardStatus,
  ReleaseGuardStatus as StatusSchema,
} from '../src/release/schema.ts';
import { templateHash } from '../src/release/template.ts';
import { digestOf, image, SHA, template } from './support/operator-fixtures.ts';

/**
 * What one decision becomes: which decisions are announced at all, the evidence taken from
 * status, and the bodies Slack, Teams and a JSON webhook receive.
 */

const STABLE = template(SHA.v1, 'v1');
const LEAKY = template(SHA.leak, 'leak');
const H1 = templateHash(STABLE);
const HL = templateHash(LEAKY);
const AT = Date.parse('2026-12-02T10:00:00Z');
const GUARD = { namespace: 'shop', name: 'shop', uid: 'uid-1' };

/** Status right after decide() reverted the leaking canary. */
function revertedStatus(): ReleaseGuardStatus {
  return StatusSchema.parse({
    phase: 'Reverted',
    message: `leak on candidate ${SHA.leak.slice(0, 12)}: bob got alice's identity; scaled to 0`,
    stable: { templateHash: H1, revision: SHA.v1, template: STABLE, replicas: 3 },
    candidate: { templateHash: HL, revision: SHA.leak, image: image('leak') },
    approval: {
      templateHash: HL,
      revision: SHA.leak,
      outcome: 'approved',
      approvers: ['bob', 'carol'],
      count: 2,
      pullRequest: 102,
    },
    probe: {
      target: 'candidate',
      mode: 'canary',
      templateHash: HL,
      runId: 'run-7',
      outcome: 'leak',
      sent: 412,
      checked: 398,
      failed: 0,
      leakRateBound: null,
      maxLeakRate: 0.01,
    },
    lastLeak: {
      target: 'candidate',
      templateHash: HL,
      revision: SHA.leak,
      runId: 'run-7',
      at: '2026-12-02T10:00:00Z',
      kind: 'identity-mismatch',
      summary: 'bob asked GET /api/me and was told it is alice <!channel>',
      tenant: 'bob',
      method: 'GET',
      path: '/api/me',
      requestNumber: 57,
      status: 200,
      expectedIdentity: 'user-bob',
      observedIdentity: 'user-alice',
      owner: 'alice',
      headers: { 'x-cache': 'HIT', 'set-cookie': 'session=[redacted]' },
    },
    rejected: [
      {
        templateHash: HL,
        revision: SHA.leak,
        images: [image('leak')],
        at: '2026-12-02T10:00:00Z',
        reason: 'leak',
      },
    ],
    decisions: [],
    conditions: [],
  });
}

function facts(overrides: Partial<DecisionFacts> = {}): DecisionFacts {
  return {
    guard: GUARD,
    event: {
      kind: 'emitEvent',
      type: 'Warning',
      reason: 'Reverted',
      message: `leak on candidate ${SHA.leak.slice(0, 12)}: bob got alice's identity <!here>`,
      release: { templateHash: HL, revision: SHA.leak },
    },
    status: revertedStatus(),
    target: LEAKY,
    now: AT,
    ...overrides,
  };
}

describe('which decisions are announced', () => {
  it('announces a revert with the release, its digests and the leak evidence from status', () => {
    const built = notificationFor(facts());
    expect(built?.notification).toEqual({
      schema: 'vakt.dev/notification/v1',
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      event: 'Reverted',
      severity: 'warning',
      time: '2026-12-02T10:00:00.000Z',
      guard: { namespace: 'shop', name: 'shop' },
      release: {
        templateHash: HL,
        commit: SHA.leak,
        images: [image('leak')],
        digests: [digestOf('leak')],
      },
      message: expect.stringContaining('leak on candidate'),
      evidence: {
        leak: {
          kind: 'identity-mismatch',
          summary: expect.stringContaining('bob asked GET /api/me'),
          tenant: 'bob',
          owner: 'alice',
          expectedIdentity: 'user-bob',
          observedIdentity: 'user-alice',
          method: 'GET',
          path: '/api/me',
          requestNumber: 57,
          status: 200,
          headers: { 'x-cache': 'HIT', 'set-cookie': 'session=[redacted]' },
        },
        probe: {
          runId: 'run-7',
          mode: 'canary',
          target: 'candidate',
          sent: 412,
          checked: 398,
          failed: 0,
          leakRateBound: null,
          maxLeakRate: 0.01,
        },
      },
    });
  });

  it('takes the images from the rejection when the target runs something else by now', () => {
    const built = notificationFor(facts({ target: STABLE }));
    expect(built?.notification.release.digests).toEqual([digestOf('leak')]);
  });

  it('announces only the six decisions, and only those about a release', () => {
    const approved = facts({
      event: {
        kind: 'emitEvent',
        type: 'Normal',
        reason: 'Approved',
        message: 'approved',
        release: { templateHash: HL },
      },
    });
    expect(notificationFor(approved)).toBeUndefined();
    const noRelease = facts({
      event: { kind: 'emitEvent', type: 'Warning', reason: 'Blocked', message: 'blocked' },
    });
    expect(notificationFor(noRelease)).toBeUndefined();
  });

  it('announces Blocked once per release: not when status already holds a Blocked decision for it', () => {
    const blocked = (templateHash: string): DecisionFacts['event'] => ({
      kind: 'emitEvent',
      type: 'Warning',
      reason: 'Blocked',
      message: 'not approved: needs 1 more approval',
      release: { templateHash, revision: SHA.leak },
    });
    const before = StatusSchema.parse({
      phase: 'Blocked',
      decisions: [
        { at: '2026-12-02T09:00:00Z', reason: 'Blocked', templateHash: HL, message: 'denied' },
      ],
    });
    expect(notificationFor(facts({ event: blocked(HL), before }))).toBeUndefined();
    const other = notificationFor(facts({ event: blocked(H1), before }));
    expect(other?.notification.event).toBe('Blocked');
    expect(other?.notification.evidence.approval).toBeUndefined(); // the approval is about HL
    const first = notificationFor(facts({ event: blocked(HL) }));
    expect(first?.notification.evidence).toEqual({
      approval: { outcome: 'approved', approvers: ['bob', 'carol'], pullRequest: 102 },
    });
  });

  it('keys a leak on stable by the leak, so a leak that comes back is news again', () => {
    const status = revertedStatus();
    status.lastLeak = {
      ...(status.lastLeak as NonNullable<ReleaseGuardStatus['lastLeak']>),
      templateHash: H1,
      target: 'stable',
    };
    const onStable: DecisionFacts['event'] = {
      kind: 'emitEvent',
      type: 'Warning',
      reason: 'LeakOnStable',
      message: 'guard probe found a leak on stable',
      release: { templateHash: H1, revision: SHA.v1 },
    };
    const before = StatusSchema.parse({
      phase: 'Idle',
      decisions: [
        {
          at: '2026-12-01T09:00:00Z',
          reason: 'LeakOnStable',
          templateHash: H1,
          message: 'earlier',
        },
      ],
    });
    const first = notificationFor(facts({ event: onStable, status, before }));
    expect(first?.notification.evidence.leak?.tenant).toBe('bob');
    expect(first?.notification.release.images).toEqual([image('v1')]);
    const again = structuredClone(status);
    if (again.lastLeak) again.lastLeak.runId = 'run-9';
    const second = notificationFor(facts({ event: onStable, status: again, before }));
    expect(second?.key).not.toBe(first?.key);
    // The same decision built twice (a pass repeated) has the same key and id.
    expect(notificationFor(facts({ event: onStable, status, before }))?.notification.id).toBe(
      first?.notification.id,
    );
  });
});

describe('what each kind of sink receives', () => {
  const n = () => {
    const built = notificationFor(facts());
    if (!built) throw new Error('no notification');
    return built.notification;
  };

  it('Slack: fallback text and Block Kit blocks within Slack limits, markup escaped', () => {
    const body = slackBody(n()) as {
      text: string;
      blocks: {
        type: string;
        text?: { type: string; text: string };
        fields?: { type: string; text: string }[];
      }[];
    };
    expect(body.text).toContain('Reverted');
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    const [header, message, facts] = body.blocks;
    expect(header?.text?.type).toBe('plain_text');
    expect(header?.text?.text.length).toBeLessThanOrEqual(150);
    expect(header?.text?.text).toContain('shop/shop');
    // `<!here>` in a message would ping the channel: Slack sees it as text.
    expect(message?.text?.text).toContain('&lt;!here&gt;');
    expect(JSON.stringify(body)).not.toContain('<!');
    expect(facts?.fields?.length).toBeLessThanOrEqual(10);
    expect(facts?.fields?.map((f) => f.text)).toEqual(
      expect.arrayContaining([
        '*Tenant*\nbob',
        '*Saw data of*\nalice',
        '*Request*\nGET /api/me (request 57, HTTP 200)',
        '*Requests*\n412 sent, 398 checked, 0 failed',
      ]),
    );
  });

  it('Teams: a message with one Adaptive Card attachment, its facts in a FactSet', () => {
    const body = teamsBody(n()) as {
      type: string;
      attachments: { contentType: string; contentUrl: null; content: Record<string, unknown> }[];
    };
    expect(body.type).toBe('message');
    expect(body.attachments).toHaveLength(1);
    const [card] = body.attachments;
    expect(card?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card?.contentUrl).toBeNull();
    expect(card?.content).toMatchObject({
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      type: 'AdaptiveCard',
      version: '1.4',
    });
    const blocks = card?.content.body as {
      type: string;
      text?: string;
      color?: string;
      facts?: { title: string; value: string }[];
    }[];
    expect(blocks.map((b) => b.type)).toEqual(['TextBlock', 'TextBlock', 'FactSet', 'TextBlock']);
    expect(blocks[0]?.color).toBe('Attention');
    expect(blocks[2]?.facts).toContainEqual({ title: 'Tenant', value: 'bob' });
    expect(blocks[2]?.facts).toContainEqual({ title: 'Digests', value: digestOf('leak') });
  });

  it('Teams: text from the cluster cannot become a link or an image in the card', () => {
    // Anyone who may edit the Deployment names its images; Kubernetes takes any text, and
    // the Blocked message quotes an image that is not pinned.
    const bait = '[Re-approve the release](https://vakt-approve.example/login)';
    const notification = n();
    notification.message = `template ${HL} names images by tag, not by digest (${bait}): pin each image`;
    notification.evidence.approval = {
      outcome: 'denied',
      approvers: ['![x](https://t.example/p.png)'],
    };
    const text = JSON.stringify(teamsBody(notification));
    expect(text).not.toMatch(/\]\(/);
    // Still readable: the characters are all there.
    expect(text).toContain('Re-approve the release');
    expect(text).toContain('https://vakt-approve.example/login');
  });

  it('webhook: the notification itself, as documented', () => {
    const notification = n();
    expect(JSON.parse(bodyFor('webhook', notification))).toEqual(notification);
    expect(JSON.parse(bodyFor('slack', notification))).toEqual(slackBody(notification));
    expect(JSON.parse(bodyFor('teams', notification))).toEqual(teamsBody(notification));
  });
});
