import type { NotifyEvent, SinkType } from './config.ts';
import type { Notification } from './notification.ts';

/**
 * The request body each kind of sink expects, rendered from a notification: Slack's
 * incoming-webhook message (fallback text plus Block Kit blocks), a Microsoft Teams message
 * carrying an Adaptive Card (what Workflows' "When a Teams webhook request is received"
 * and the older incoming webhooks accept), and the notification itself as JSON.
 */

const TITLES: Record<NotifyEvent, string> = {
  Reverted: 'Reverted: cross-tenant leak on the canary',
  RolledBack: 'Rolled back: cross-tenant leak after promotion',
  LeakOnStable: 'Leak on stable: no newer release to revert',
  Blocked: 'Blocked: the release is not approved',
  Promoted: 'Promoted to stable',
  Baked: 'Baked: the release is stable',
};

/** Slack's limits: header text 150 characters, section text 3,000, a field 2,000, 10 fields. */
const SLACK = { header: 150, section: 3000, field: 2000, fields: 10 };

export function titleOf(n: Notification): string {
  return TITLES[n.event];
}

/** What a person reads first, as label and value, in the order shown. */
export function factsOf(n: Notification): [string, string][] {
  const facts: [string, string][] = [['Guard', `${n.guard.namespace}/${n.guard.name}`]];
  const release = n.release.commit
    ? `commit ${n.release.commit.slice(0, 12)}`
    : `template ${n.release.templateHash}`;
  facts.push(['Release', release]);
  const { leak, probe, approval, bake } = n.evidence;
  if (leak) {
    facts.push(['Tenant', leak.tenant || 'unknown']);
    const seen = leak.owner ?? leak.observedIdentity;
    if (seen !== undefined) facts.push(['Saw data of', seen]);
    facts.push([
      'Request',
      `${leak.method} ${leak.path} (request ${leak.requestNumber}, HTTP ${leak.status})`,
    ]);
    facts.push(['Leak kind', leak.kind]);
  }
  // A leak found in the first requests comes before the run's first progress figures.
  if (probe && probe.sent > 0) {
    facts.push([
      'Requests',
      `${probe.sent} sent, ${probe.checked} checked, ${probe.failed} failed`,
    ]);
    if (probe.leakRateBound !== null && !leak) {
      facts.push([
        'Leak rate',
        `below ${probe.leakRateBound.toPrecision(2)} (policy ${probe.maxLeakRate})`,
      ]);
    }
  }
  if (approval) {
    facts.push(['Approvers', approval.approvers.join(', ') || 'none that count']);
    if (approval.pullRequest !== undefined)
      facts.push(['Pull request', `#${approval.pullRequest}`]);
  }
  if (bake) facts.push(['Bake runs passed', String(bake.passedRuns)]);
  if (n.release.digests.length > 0) facts.push(['Digests', n.release.digests.join(', ')]);
  return facts;
}

/** At most `max` characters (code points), marked with an ellipsis when cut. */
function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Slack reads &, < and > as markup (<!channel> pings everyone): escape them. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackBody(n: Notification): unknown {
  const where = `${n.guard.namespace}/${n.guard.name}`;
  const fields = factsOf(n)
    .slice(0, SLACK.fields)
    .map(([label, value]) => ({
      type: 'mrkdwn',
      text: clip(`*${label}*\n${slackEscape(value)}`, SLACK.field),
    }));
  return {
    text: clip(slackEscape(`${titleOf(n)} (${where}): ${n.message}`), SLACK.section),
    blocks: [
      {
        type: 'header',
        text: { type: 'plain_text', text: clip(`${titleOf(n)} · ${where}`, SLACK.header) },
      },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: clip(slackEscape(n.message), SLACK.section) },
      },
      { type: 'section', fields },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: slackEscape(`vakt · ${n.event} · ${n.time}`) }],
      },
    ],
  };
}

/**
 * Teams renders Markdown in TextBlocks and facts, and has no escape all its clients honour.
 * A zero-width space after each `]` and `<` keeps every character but breaks the syntax of
 * links, images and autolinks, so text from the cluster (an image name anyone who may edit
 * a Deployment chooses) cannot put a link of its own in the card.
 */
function teamsText(text: string): string {
  return text.replace(/[\]<]/g, '$&\u200b');
}

export function teamsBody(n: Notification): unknown {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body: [
            {
              type: 'TextBlock',
              text: titleOf(n),
              size: 'Medium',
              weight: 'Bolder',
              color: n.severity === 'warning' ? 'Attention' : 'Good',
              wrap: true,
            },
            { type: 'TextBlock', text: teamsText(n.message), wrap: true },
            {
              type: 'FactSet',
              facts: factsOf(n).map(([title, value]) => ({ title, value: teamsText(value) })),
            },
            {
              type: 'TextBlock',
              text: `vakt · ${n.event} · ${n.time}`,
              size: 'Small',
              isSubtle: true,
              wrap: true,
            },
          ],
        },
      },
    ],
  };
}

export function bodyFor(type: SinkType, n: Notification): string {
  if (type === 'slack') return JSON.stringify(slackBody(n));
  if (type === 'teams') return JSON.stringify(teamsBody(n));
  return JSON.stringify(n);
}
