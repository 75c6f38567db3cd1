import { type PodTemplate, templateHash } from '../release/template.ts';
import {
  ANNOTATION_TEMPLATE_HASH,
  LABEL_GUARD,
  LABEL_MANAGED_BY,
  LABEL_ROLE,
  matchLabelsOf,
  type RawObject,
} from './context.ts';

/** Which template labels were dropped (because the target selects on them), for when the target is gone. */
export const ANNOTATION_STRIPPED_LABELS = 'vakt.dev/stripped-labels';

/**
 * The release a `<guard>-stable` left by an earlier guard of this name still serves, when
 * it can be told for sure: the Deployment carries vakt's labels for this guard, and the
 * pod template, with the labels vakt swapped put back as the target selects them, hashes
 * to the template hash vakt wrote. Anything else (no mark, an edited template, labels that
 * cannot be put back) gives undefined, and adoption does not take it.
 */
export function previousStable(
  stable: RawObject,
  target: RawObject | null,
  guardName: string,
): { template: PodTemplate; replicas: number } | undefined {
  const meta = stable.metadata ?? {};
  const marked =
    meta.labels?.[LABEL_MANAGED_BY] === 'vakt' &&
    meta.labels?.[LABEL_GUARD] === guardName &&
    meta.labels?.[LABEL_ROLE] === 'stable';
  const hash = meta.annotations?.[ANNOTATION_TEMPLATE_HASH];
  if (!marked || !hash) return undefined;
  const template = structuredClone((stable.spec?.template ?? {}) as PodTemplate);
  const metadata = (template.metadata ?? {}) as { labels?: Record<string, string> };
  const labels = { ...(metadata.labels ?? {}) };
  delete labels[LABEL_GUARD];
  delete labels[LABEL_ROLE];
  const selected = target ? (matchLabelsOf(target) ?? {}) : {};
  const stripped = (meta.annotations?.[ANNOTATION_STRIPPED_LABELS] ?? '').split(',');
  for (const key of stripped.filter(Boolean)) {
    const value = selected[key];
    if (value === undefined) return undefined;
    labels[key] = value;
  }
  if (Object.keys(labels).length > 0) metadata.labels = labels;
  else delete metadata.labels;
  template.metadata = metadata;
  if (templateHash(template) !== hash) return undefined;
  const replicas = stable.spec?.replicas;
  return { template, replicas: typeof replicas === 'number' ? replicas : 1 };
}
