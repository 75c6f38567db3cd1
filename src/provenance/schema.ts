import { z } from 'zod';

/**
 * The policy's `approval.provenance`: which workflow must have built an image for its
 * signed provenance to name the commit that the two-person gate then checks.
 *
 * `off` is an explicit opt-out: the commit then comes from wherever the caller was told
 * (an annotation, a flag), which anyone able to write that can forge. Every verdict
 * reached with `off` must say so as a warning. Absent means not configured: each
 * caller decides what that means for it.
 */

const Workflow = z
  .string()
  .regex(/^\.github\/workflows\/[A-Za-z0-9_.-]+\.ya?ml$/, {
    message: 'expected a workflow file path such as ".github/workflows/release.yml"',
  })
  .describe('the workflow file that builds and attests releases');

const Ref = z.string().regex(/^refs\/(heads|tags)\/[^\s~^:?*[\\]+$/, {
  message: 'expected a full git ref such as "refs/heads/main" or "refs/tags/v1.2.3"',
});

export const ProvenanceSpec = z
  .strictObject({
    workflow: Workflow,
    refs: z
      .array(Ref)
      .min(1)
      .default(['refs/heads/main'])
      .describe('refs the workflow may have run on (default refs/heads/main)'),
    org: z
      .boolean()
      .default(false)
      .describe("read attestations from the organization's endpoint instead of the repository's"),
  })
  .describe('signed build provenance an image must carry');
export type ProvenancePolicy = z.infer<typeof ProvenanceSpec>;

export const ProvenanceSetting = z
  .union([z.literal('off'), ProvenanceSpec])
  .describe(
    '"off" (the image is not bound to a commit: shown as a warning in every verdict) or the workflow whose signed provenance names the commit',
  );
export type ProvenanceSetting = z.infer<typeof ProvenanceSetting>;

/** The warning every verdict reached under `provenance: off` carries. */
export const PROVENANCE_OFF_WARNING =
  'approval.provenance is off: the approved commit is not bound to the image that runs';
