import type { ReviewFact } from './facts.ts';

/**
 * Each reviewer's standing opinion, as GitHub shows it: their latest review that
 * approves or requests changes. Comments do not change an opinion, and dismissed
 * reviews no longer stand.
 */
export interface ReviewerOpinion {
  login: string;
  /** undefined when the reviewer never approved or requested changes (or it was dismissed). */
  opinion?: ReviewFact;
  /** Whether any of their reviews was dismissed. */
  dismissed: boolean;
}

export function reviewerOpinions(reviews: readonly ReviewFact[]): ReviewerOpinion[] {
  // Order by time, then id, so "latest" does not depend on the order the API returned.
  const ordered = [...reviews].sort(
    (a, b) => a.submittedAt.localeCompare(b.submittedAt) || a.id - b.id,
  );
  const byLogin = new Map<string, ReviewerOpinion>();
  for (const review of ordered) {
    const key = review.author.login.toLowerCase();
    const entry = byLogin.get(key) ?? { login: review.author.login, dismissed: false };
    if (review.state === 'DISMISSED') entry.dismissed = true;
    if (review.state === 'APPROVED' || review.state === 'CHANGES_REQUESTED') {
      entry.opinion = review;
    }
    byLogin.set(key, entry);
  }
  return [...byLogin.values()];
}
