import { restored } from './bake.ts';
import { addRejected, type Context, label } from './context.ts';
import { record, setCondition } from './draft.ts';
import { REJECTED_TEMPLATE } from './state.ts';
import { templateHash as hashOf, type PodTemplate } from './template.ts';

/**
 * A revert is one request (the candidate scaled to zero, or `-stable` restored) that also
 * names the rejected template in an annotation; status is written after it. An operator
 * that stops in between (a crash, a lost lease, status writes failing) leaves the mark on
 * the Deployment and nothing in status. This puts it into status before anything reads
 * status, so a rejected template is never probed, promoted or put back on `-stable` again.
 */
export function recoverRejections(ctx: Context): void {
  warnUnsealed(ctx);
  const { draft, observed } = ctx;
  const status = draft.status;
  // A leak report in hand is the revert's own evidence: decide() records it as usual.
  const reported = (hash: string) =>
    ctx.reports.some((r) => r.kind === 'probe' && r.outcome === 'leak' && r.templateHash === hash);
  const rejected = (hash: string) =>
    reported(hash) || status.rejected.some((r) => r.templateHash === hash);

  const takenBack = observed.stable?.rejectedTemplate;
  if (
    takenBack &&
    !rejected(takenBack) &&
    status.stable?.templateHash === takenBack &&
    status.previousStable &&
    observed.stable?.templateHash === status.previousStable.templateHash
  ) {
    // Baking `takenBack` when a leak made the operator put the previous template back.
    const bad = status.stable;
    restored(ctx);
    reject(ctx, takenBack, bad.revision, 'RolledBack', bad.template);
    status.message = `leak while baking ${label(bad)}; restored ${label(status.stable)} (the leak's evidence was not saved before the operator stopped)`;
    setCondition(draft, 'ProbesPassing', 'False', 'LeakWhileBaking', status.message);
  }

  // A promotion is not recovered the same way: `-stable` holding the candidate's template
  // while status still says Canary looks exactly like someone copying an unprobed
  // candidate there, so it is repaired back and the canary, still approved, runs again.

  const scaledDown = observed.target?.annotations[REJECTED_TEMPLATE];
  if (scaledDown && !rejected(scaledDown)) {
    const candidate =
      status.candidate?.templateHash === scaledDown ? status.candidate.revision : undefined;
    const target = observed.target?.template;
    const template = target && hashOf(target) === scaledDown ? target : undefined;
    reject(ctx, scaledDown, candidate, 'Reverted', template);
    if (status.candidate?.templateHash === scaledDown) {
      status.message = `leak on candidate ${label(status.candidate)}; scaled to 0, template ${scaledDown} rejected (the leak's evidence was not saved before the operator stopped)`;
      setCondition(draft, 'ProbesPassing', 'False', 'LeakOnCandidate', status.message);
    }
  }
}

function reject(
  ctx: Context,
  templateHash: string,
  revision: string | undefined,
  reason: 'Reverted' | 'RolledBack',
  template: PodTemplate | undefined,
): void {
  const { draft } = ctx;
  const why = 'a probe found a leak; the evidence was not saved before the operator stopped';
  addRejected(draft, templateHash, why, revision, template);
  draft.status.phase = 'Reverted';
  record(
    draft,
    'Warning',
    reason,
    `template ${templateHash} was taken back after a leak and stays rejected (${REJECTED_TEMPLATE} on the Deployment; the operator stopped before saving the evidence)`,
    { templateHash, ...(revision ? { revision } : {}) },
  );
}

/** A mark that can never have been the operator's is cut to this many characters when shown. */
const SHOWN_MARK_CHARS = 32;

/**
 * A mark whose seal does not verify was not written by the operator for this guard and
 * Deployment: it rejects nothing (the template still needs approval and its canary), and
 * is reported once per mark. A mark naming a template status already rejects is left
 * unreported: it changes nothing (marks written before seal keys were configured).
 */
function warnUnsealed(ctx: Context): void {
  const { draft, observed } = ctx;
  for (const mark of observed.unsealedMarks ?? []) {
    if (draft.status.rejected.some((r) => r.templateHash === mark.templateHash)) continue;
    const where = mark.on === 'target' ? 'the target Deployment' : `${ctx.name}-stable`;
    const message = `${REJECTED_TEMPLATE} ${shownMark(mark.templateHash)} on ${where} of guard ${ctx.name} is not one the operator wrote (no valid seal, or not a template hash): ignored, the template is not taken as rejected (it still needs approval and a canary)`;
    if (draft.status.decisions.some((d) => d.reason === UNSEALED && d.message === message)) {
      continue;
    }
    record(draft, 'Warning', UNSEALED, message);
  }
}

const UNSEALED = 'RejectionMarkNotSealed';

/**
 * Anyone may have written it: printable ASCII only (the rest escaped), cut short, quoted,
 * so an Event or status shows no control characters, no bidi tricks and no essay.
 */
export function shownMark(mark: string): string {
  const chars = [...mark];
  const cut = chars.slice(0, SHOWN_MARK_CHARS).join('');
  const escaped = cut.replace(/[^\x20-\x7e]|["\\]/gu, (c) =>
    c === '"' || c === '\\' ? `\\${c}` : `\\u{${c.codePointAt(0)?.toString(16)}}`,
  );
  const more = chars.length > SHOWN_MARK_CHARS ? `… (${chars.length} characters)` : '';
  return `"${escaped}"${more}`;
}
