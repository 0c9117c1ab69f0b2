import type { ConcurrentActionsResult } from './concurrent.js';
import type { CountVerification } from './verifyCount.js';

/**
 * One sentence per outcome, shared by the CLI and by checklist steps (their
 * `message`), so an operator reads the same words in the terminal and in the report.
 */
export function concurrencyVerdictSentence(result: ConcurrentActionsResult): string {
  switch (result.verdict) {
    case 'clean':
      return (
        `no lost updates: all ${result.succeeded} actions applied ` +
        `(count ${result.countBefore} → ${result.countAfter})`
      );
    case 'lost_updates':
      return (
        `lost updates: ${result.succeeded} actions succeeded ` +
        `but the count grew by ${result.applied} (${result.lost} lost)`
      );
    case 'failed_calls':
      return `${result.failed} of ${result.requested} actions failed; the ${result.succeeded} that succeeded all applied`;
    case 'extra_updates':
      return (
        `extra updates: ${result.succeeded} actions succeeded but the count grew by ${result.applied} ` +
        '(something else wrote to this offender meanwhile)'
      );
  }
}

export function countVerdictSentence(check: CountVerification): string {
  switch (check.status) {
    case 'exact':
      return `count matches: expected ${check.expected}, found ${check.actual}`;
    case 'lost':
      return `lost updates: expected ${check.expected}, found ${check.actual} (${-check.difference} lost)`;
    case 'extra':
      return `extra updates: expected ${check.expected}, found ${check.actual} (${check.difference} extra)`;
    case 'missing':
      return `lost updates: expected ${check.expected}, found no behaviour row (all ${check.expected} lost)`;
  }
}
