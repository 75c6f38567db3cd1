import { createHash } from 'node:crypto';
import type { ApprovalVerdict } from '../../src/approval/verdict.ts';
import type { LeakEvidence } from '../../src/probe/types.ts';
import { decide } from '../../src/release/decide.ts';
import type { ReleaseGuardStatus } from '../../src/release/schema.ts';
import type {
  Action,
  ApprovalReport,
  DecideOutput,
  Observed,
  ProbeReport,
  Report,
} from '../../src/release/state.ts';
import { REJECTED_TEMPLATE } from '../../src/release/state.ts';
import { type PodTemplate, templateHash } from '../../src/release/template.ts';

/** Fixtures and a tiny in-memory cluster for the decide() tables. */

export const T0 = Date.parse('2026-11-20T10:00:00Z');
export const SHA = { one: 'a'.repeat(40), two: 'b'.repeat(40), three: 'c'.repeat(40) };

export const POLICY = {
  apiVersion: 'vakt.dev/v1alpha1',
  kind: 'Policy',
  probe: {
    tenants: [
      { name: 'alice', identity: 'alice', auth: { bearer: { env: 'ALICE_TOKEN' } } },
      { name: 'bob', identity: 'bob', auth: { bearer: { env: 'BOB_TOKEN' } } },
    ],
    identity: { path: '/api/me', jsonPointer: '/id' },
  },
};

export const SPEC = {
  targetRef: { name: 'shop' },
  service: { port: 8080 },
  policy: { inline: POLICY },
  tenantsSecretRef: { name: 'shop-tenants' },
  source: { repository: 'acme/shop' },
  bakeTime: '10m',
};

/** An image named by digest, as vakt requires of releases (the digest is made up). */
export const pinnedImage = (tag: string) =>
  `ghcr.io/acme/shop:${tag}@sha256:${createHash('sha256').update(tag).digest('hex')}`;

export function template(sha: string, image = pinnedImage(sha.slice(0, 7))): PodTemplate {
  return {
    metadata: { labels: { app: 'shop' }, annotations: { 'vakt.dev/revision': sha } },
    spec: { containers: [{ name: 'shop', image }] },
  };
}

export function verdict(outcome: ApprovalVerdict['outcome'], sha: string): ApprovalVerdict {
  const approved = outcome === 'approved';
  return {
    outcome,
    reasons: approved ? [] : ['needs 1 more approval'],
    counted: approved
      ? [
          { login: 'carol', reviewId: 1, commitId: sha },
          { login: 'dave', reviewId: 2, commitId: sha },
        ]
      : [{ login: 'carol', reviewId: 1, commitId: sha }],
    notCounted: [],
    missing: approved ? [] : ['needs 1 more approval from a qualified reviewer'],
    required: { approvals: 2, teams: [] },
    evidence: { repository: 'acme/shop', pullRequest: 42, baseRef: 'main', headSha: sha },
  };
}

export function approval(
  templateHash: string,
  sha: string,
  outcome: ApprovalVerdict['outcome'],
  policyDigest?: string,
): ApprovalReport {
  return {
    kind: 'approval',
    templateHash,
    revision: sha,
    verdict: verdict(outcome, sha),
    ...(policyDigest === undefined ? {} : { policyDigest }),
  };
}

export const EVIDENCE: LeakEvidence = {
  kind: 'foreign-marker',
  summary: "bob's e-mail in alice's response to GET /api/orders",
  request: {
    number: 17,
    tenant: 'alice',
    method: 'GET',
    path: '/api/orders',
    pattern: 'interleaved',
    pool: 'tenant',
  },
  status: 200,
  owner: 'bob',
  match: { owner: 'bob', kind: 'marker', index: 0, where: 'body' },
  headers: { age: '12', 'x-cache': 'HIT' },
  elapsedMs: 830,
  latencyMs: 12,
};

export function probe(
  target: ProbeReport['target'],
  mode: ProbeReport['mode'],
  templateHash: string,
  outcome: ProbeReport['outcome'],
  runId = 'run-1',
): ProbeReport {
  const leaked = outcome === 'leak';
  return {
    kind: 'probe',
    target,
    mode,
    templateHash,
    runId,
    outcome,
    counters: { sent: 3100, checked: 3000, failed: 0 },
    leakRateBound: leaked ? null : outcome === 'pass' ? 0.000998 : 0.01,
    maxLeakRate: 0.001,
    ...(leaked ? { leak: EVIDENCE } : {}),
  };
}

/** Before adoption: the user's Deployment serves with 3 replicas. */
export function freshWorld(tpl: PodTemplate = template(SHA.one)): Observed {
  return {
    target: { template: tpl, annotations: {}, replicas: 3, ready: true },
    stable: null,
    services: { stable: false, canary: false },
    probe: null,
  };
}

/** What the kube adapter would do with the actions, instantly and successfully. */
export function apply(observed: Observed, actions: Action[]): Observed {
  const next = structuredClone(observed);
  for (const action of actions) {
    if (action.kind === 'scaleCandidate' && next.target) {
      next.target.replicas = action.replicas;
      next.target.ready = true;
      if (action.rejectTemplate) next.target.annotations[REJECTED_TEMPLATE] = action.rejectTemplate;
    }
    if (action.kind === 'setStable') {
      const kept = next.stable?.rejectedTemplate;
      const rejectedTemplate = action.rejectTemplate ?? kept;
      next.stable = {
        templateHash: action.templateHash,
        ready: true,
        ...(rejectedTemplate ? { rejectedTemplate } : {}),
      };
    }
    if (action.kind === 'ensureServices') next.services = { stable: true, canary: true };
    if (action.kind === 'startProbe') {
      next.probe = { target: action.target, mode: action.mode, templateHash: action.templateHash };
    }
    if (action.kind === 'stopProbe') next.probe = null;
  }
  return next;
}

/** A guard, its cluster and a clock, driven one decide() at a time. */
export class Story {
  status: ReleaseGuardStatus | undefined;
  observed: Observed;
  now = T0;
  spec: unknown = SPEC;
  last: DecideOutput | undefined;
  /** What the last step() observed, before its actions were carried out. */
  seen: Observed | undefined;
  /** The policy in force, as the adapter names it (DecideInput.policyDigest). */
  policyDigest: string | undefined;

  constructor(observed: Observed = freshWorld()) {
    this.observed = observed;
  }

  /** Runs decide() once with `reports`, then lets the "adapter" carry out the actions. */
  step(reports: Report[] = []): DecideOutput {
    const output = decide({
      now: this.now,
      guard: { name: 'shop', generation: 1, spec: this.spec, ...this.statusField() },
      observed: this.observed,
      reports,
      ...this.policyField(),
    });
    this.status = output.status;
    this.seen = this.observed;
    this.observed = apply(this.observed, output.actions);
    this.last = output;
    return output;
  }

  /** Runs decide() on the current state without keeping anything: for idempotence checks. */
  peek(reports: Report[] = []): DecideOutput {
    return decide({
      now: this.now,
      guard: { name: 'shop', generation: 1, spec: this.spec, ...this.statusField() },
      observed: this.observed,
      reports,
      ...this.policyField(),
    });
  }

  /** Runs decide() on the last step's own output status and the very same observations. */
  repeat(reports: Report[] = []): DecideOutput {
    return decide({
      now: this.now,
      guard: { name: 'shop', generation: 1, spec: this.spec, ...this.statusField() },
      observed: this.seen ?? this.observed,
      reports,
      ...this.policyField(),
    });
  }

  /** The user changes the Deployment's template (kubectl apply resets replicas too). */
  deploy(tpl: PodTemplate, replicas = 3): void {
    if (!this.observed.target) throw new Error('no target');
    this.observed.target = { ...this.observed.target, template: tpl, replicas, ready: true };
  }

  private policyField(): { policyDigest?: string } {
    return this.policyDigest === undefined ? {} : { policyDigest: this.policyDigest };
  }

  private statusField(): { status?: ReleaseGuardStatus } {
    return this.status ? { status: structuredClone(this.status) } : {};
  }
}

export function kinds(actions: Action[]): string[] {
  return actions.map((a) => a.kind);
}

export function events(actions: Action[]): { type: string; reason: string; message: string }[] {
  return actions.flatMap((a) => (a.kind === 'emitEvent' ? [a] : []));
}

/** Actions that must happen once per decision: repeating them would spam or double count. */
export function oneShot(actions: Action[]): Action[] {
  return actions.filter((a) =>
    ['emitEvent', 'postCommitStatus', 'countLeak', 'checkApproval'].includes(a.kind),
  );
}

export const H1 = templateHash(template(SHA.one));
export const H2 = templateHash(template(SHA.two));
export const H3 = templateHash(template(SHA.three));

/** A guard that has adopted `shop` and is Idle on SHA.one. */
export function adopted(): Story {
  const story = new Story();
  story.step();
  story.step();
  return story;
}

/** An adopted guard whose target now runs `sha`, approved and under canary probe. */
export function inCanary(sha: string): Story {
  const story = adopted();
  story.deploy(template(sha));
  story.step();
  story.step([approval(templateHash(template(sha)), sha, 'approved')]);
  story.step();
  return story;
}

/**
 * The canary run passes, then the gate confirms the approvals once more: the promotion.
 * Returns the output of the step that promotes.
 */
export function passCanary(story: Story, sha: string, runId = 'run-1'): DecideOutput {
  const hash = templateHash(template(sha));
  story.step([probe('candidate', 'canary', hash, 'pass', runId)]);
  return story.step([approval(hash, sha, 'approved')]);
}
