import type { PhaseStatus } from '../steps/types.js';
import type { RunStatus } from './state.js';

/**
 * The words `status`, the reports and the renderers show for a run's or a phase's
 * status: one vocabulary (RunStatus, PhaseStatus), one rendering of it.
 *
 * @example
 * statusWords('passed_with_warnings') // 'PASSED WITH WARNINGS'
 */
export function statusWords(status: RunStatus | PhaseStatus): string {
  return status.toUpperCase().replaceAll('_', ' ');
}
