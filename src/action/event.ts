import { UsageError } from '../cli/command.ts';

/**
 * What the gate should decide when the workflow did not say: the pull request or the
 * commit the triggering event is about. Pure: the event payload is passed in.
 */

export type GateSubject = { pr: number } | { sha: string };

interface Payload {
  pull_request?: { number?: unknown };
  deployment?: { sha?: unknown };
  after?: unknown;
}

const PULL_REQUEST_EVENTS = new Set([
  'pull_request',
  'pull_request_target',
  'pull_request_review',
  'pull_request_review_comment',
]);

/** Events whose subject is a commit to be deployed rather than a pull request under review. */
const COMMIT_EVENTS = new Set(['push', 'workflow_dispatch', 'deployment', 'release', 'schedule']);

/**
 * The subject of `eventName`, or a sentence saying why there is none. A deploy is judged by
 * its commit, so push, dispatch and deployment events give a SHA that must be the merge
 * commit of an approved pull request.
 */
export function subjectFromEvent(
  eventName: string,
  payload: unknown,
  workflowSha: string | undefined,
): GateSubject | { reason: string } {
  const event = (payload ?? {}) as Payload;
  if (PULL_REQUEST_EVENTS.has(eventName)) {
    const number = event.pull_request?.number;
    if (typeof number === 'number' && Number.isSafeInteger(number) && number > 0) {
      return { pr: number };
    }
    return { reason: `the ${eventName} event carries no pull request number` };
  }
  if (eventName === 'deployment') {
    const sha = event.deployment?.sha;
    if (typeof sha === 'string' && isSha(sha)) return { sha: sha.toLowerCase() };
    return { reason: 'the deployment event carries no commit SHA' };
  }
  if (COMMIT_EVENTS.has(eventName)) {
    // A push names the new tip in `after`; GITHUB_SHA is the same commit for push and
    // the ref's tip for dispatches.
    const sha = typeof event.after === 'string' && isSha(event.after) ? event.after : workflowSha;
    if (sha && isSha(sha) && !/^0+$/.test(sha)) return { sha: sha.toLowerCase() };
    return { reason: `the ${eventName} event carries no commit SHA` };
  }
  return {
    reason: `cannot tell what to decide from a ${eventName || 'unknown'} event: set the pr or sha input`,
  };
}

/**
 * The runner's event file. Not JSON is bad input, said in one line: JSON.parse's own
 * message quotes the text, and an event payload is no business of the log.
 */
export function parseEventPayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError('the event payload in GITHUB_EVENT_PATH is not valid JSON');
  }
}

function isSha(text: string): boolean {
  return /^[0-9a-fA-F]{7,40}$/.test(text);
}
