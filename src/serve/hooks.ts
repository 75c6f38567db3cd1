import type { Octokit } from 'octokit';
import { decide, type GateRequest } from '../approval/decide.ts';
import type { ApprovalPolicy } from '../approval/schema.ts';
import type { ApprovalVerdict } from '../approval/verdict.ts';
import { imageStep } from '../cli/gate-image.ts';
import type { Logger } from '../log.ts';
import type { ProbeConfig } from '../probe/config.ts';
import { runProbe } from '../probe/run.ts';
import type { ProbeVerdict } from '../probe/types.ts';
import { parseImageRef } from '../provenance/image-ref.ts';
import { type Answer, gateAnswer, probeAnswer, refusal } from './answers.ts';
import type { Revision } from './payload.ts';

/** What the two-person gate needs, fixed when vakt serve starts: never from a payload. */
export interface GateSetup {
  octokit: Octokit;
  policy: ApprovalPolicy;
  policyFile: string;
  owner: string;
  repo: string;
  trustedRoot?: string;
}

/**
 * Flagger's webhook types vakt serve answers, and what each runs. confirm-rollout holds
 * the canary at zero until the gate approves; confirm-promotion asks again before the
 * canary is promoted, since approvals can be withdrawn meanwhile. pre-rollout probes the
 * canary before any traffic is routed to it, rollout at every analysis step.
 */
export const HOOKS = {
  'confirm-rollout': 'gate',
  'confirm-promotion': 'gate',
  'pre-rollout': 'probe',
  rollout: 'probe',
} as const;
export type HookType = keyof typeof HOOKS;

export function isHookType(name: string): name is HookType {
  return Object.hasOwn(HOOKS, name);
}

/** The gate's verdict for one revision, as `vakt gate --sha/--image` decides it. */
export async function gateVerdict(gate: GateSetup, revision: Revision): Promise<ApprovalVerdict> {
  const request: GateRequest = { owner: gate.owner, repo: gate.repo };
  if (revision.sha !== undefined) request.sha = revision.sha;
  if (revision.image !== undefined) {
    const image = parseImageRef(revision.image);
    if (!image.ok) throw new RevisionError(image.reason);
    const steps = await imageStep({
      octokit: gate.octokit,
      policy: gate.policy,
      policyFile: gate.policyFile,
      owner: gate.owner,
      repo: gate.repo,
      image,
      sha: revision.sha,
      trustedRoot: gate.trustedRoot,
    }).catch((error: unknown) => {
      // A policy that cannot check images is vakt serve's set-up, not GitHub's answer.
      if (error instanceof Error && error.name === 'UsageError')
        throw new RevisionError(error.message);
      throw error;
    });
    if (!steps.ok) return steps.verdict;
    request.sha = steps.sha;
  }
  return decide(gate.octokit, gate.policy, request);
}

/** A revision this vakt serve cannot check as named: a 400, never a go. */
export class RevisionError extends Error {
  override name = 'RevisionError';
}

export async function answerGate(gate: GateSetup, revision: Revision): Promise<Answer> {
  try {
    return gateAnswer(await gateVerdict(gate, revision));
  } catch (error) {
    if (error instanceof RevisionError) return refusal(400, error.message);
    const message = error instanceof Error ? error.message : String(error);
    return refusal(503, `UNDECIDED: could not decide: ${message}`);
  }
}

/**
 * Probes the canary, one run at a time: a call that arrives while a run is going (Flagger
 * retrying after its timeout, a second hook) gets that run's verdict instead of doubling
 * the load on the canary.
 */
export class CanaryProbe {
  #running: Promise<ProbeVerdict> | undefined;
  readonly config: ProbeConfig;
  readonly log: Logger;
  readonly signal: AbortSignal;

  constructor(config: ProbeConfig, log: Logger, signal: AbortSignal) {
    this.config = config;
    this.log = log;
    this.signal = signal;
  }

  async answer(): Promise<Answer> {
    try {
      return probeAnswer(await this.verdict());
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return refusal(503, `INCONCLUSIVE: the probe could not run: ${message}`);
    }
  }

  verdict(): Promise<ProbeVerdict> {
    if (!this.#running) {
      this.#running = runProbe(this.config, { log: this.log, signal: this.signal }).finally(() => {
        this.#running = undefined;
      });
    }
    return this.#running;
  }
}
