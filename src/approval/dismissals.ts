import type { Person, PullRequestFacts, ReviewFact } from './facts.ts';
import type { Disqualification } from './qualify.ts';

/**
 * Dismissing a review is a way around a request for changes that needs no one's
 * agreement: on GitHub anyone with write access may do it, the pull request's author
 * and co-authors included. So a request for changes still stands unless someone who
 * could have approved the change (a qualified reviewer, never an author) dismissed it.
 */

/** Why a dismissal did not lift a request for changes. */
export interface StandingRequest {
  /** "@login", or "a deleted account". */
  by: string;
  /** Why that dismisser does not count. */
  reason: string;
  /** Set when facts about the dismisser could not be read: the sentence naming what. */
  unknown?: string;
}

export interface Standing {
  /** The reviews, each request for changes whose dismissal does not count restored. */
  reviews: ReviewFact[];
  /** Restored requests by review id. */
  restored: Map<number, StandingRequest>;
  /** Dismissed reviews the timeline says nothing about: what they were is unknown. */
  unknowns: string[];
}

export function standingReviews(
  pr: PullRequestFacts,
  judge: (person: Person) => Disqualification | undefined,
): Standing {
  const byReview = new Map(pr.dismissals.map((d) => [d.reviewId, d]));
  const restored = new Map<number, StandingRequest>();
  const unknowns: string[] = [];
  const reviews = pr.reviews.map((review) => {
    if (review.state !== 'DISMISSED') return review;
    const dismissal = byReview.get(review.id);
    if (!dismissal) {
      unknowns.push(
        `cannot tell what @${review.author.login}'s dismissed review ${review.id} was: GitHub's timeline shows no dismissal of it`,
      );
      return review;
    }
    if (dismissal.previousState !== 'CHANGES_REQUESTED') return review;
    if (!dismissal.by) {
      restored.set(review.id, { by: 'a deleted account', reason: 'no account to check' });
      return { ...review, state: 'CHANGES_REQUESTED' as const };
    }
    const why = judge(dismissal.by);
    if (why === undefined) return review;
    restored.set(review.id, {
      by: `@${dismissal.by.login}`,
      reason: why.reason,
      ...(why.unknown && { unknown: why.unknown }),
    });
    return { ...review, state: 'CHANGES_REQUESTED' as const };
  });
  return { reviews, restored, unknowns };
}
