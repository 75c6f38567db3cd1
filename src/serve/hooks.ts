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

/** How a run is made (runProbe; tests pass one they end themselves). */
export type RunProbe = (
  config: ProbeConfig,
  hooks: { log: Logger; signal: AbortSignal },
) => Promise<ProbeVerdict>;

interface Run {
  /** The revision it was started for: Flagger's checksum of the canary's spec. */
  revision: string | undefined;
  verdict: Promise<ProbeVerdict>;
  stop: AbortController;
}

/**
 * Probes the canary, one run at a time. A call for the revision under probe (Flagger
 * retrying after its timeout, a second hook) gets that run's verdict instead of doubling
 * the load on the canary. A call for another revision must not: the run began on pods that
 * are on their way out, and its pass would let the new ones have traffic unprobed. That
 * run is stopped (its callers get an inconclusive 503) and a fresh one starts once it has
 * ended.
 */
export class CanaryProbe {
  #running: Run | undefined;
  readonly config: ProbeConfig;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly #run: RunProbe;

  constructor(config: ProbeConfig, log: Logger, signal: AbortSignal, run: RunProbe = runProbe) {
    this.config = config;
    this.log = log;
    this.signal = signal;
    this.#run = run;
  }

  async answer(revision?: string): Promise<Answer> {
    try {
      return probeAnswer(await this.verdict(revision));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return refusal(503, `INCONCLUSIVE: the probe could not run: ${message}`);
    }
  }

  verdict(revision?: string): Promise<ProbeVerdict> {
    const current = this.#running;
    if (current && current.revision === revision) return current.verdict;
    current?.stop.abort();
    const ended = current?.verdict.then(
      () => undefined,
      () => undefined,
    );
    const stop = new AbortController();
    const signal = AbortSignal.any([this.signal, stop.signal]);
    const verdict = (async () => {
      await ended;
      return this.#run(this.config, { log: this.log, signal });
    })();
    const run: Run = { revision, verdict, stop };
    this.#running = run;
    const forget = () => {
      if (this.#running === run) this.#running = undefined;
    };
    verdict.then(forget, forget);
    return verdict;
  }
}
