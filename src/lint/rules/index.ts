import { compatibilityRules } from './compatibility.js';
import { functionRules } from './functions.js';
import { lockingRules } from './locking.js';
import { robustnessRules } from './robustness.js';
import type { LintRule } from './types.js';

/** Every rule `shipcheck lint` and the `lint` step apply, in the order findings are listed. */
export const lintRules: readonly LintRule[] = [
  ...lockingRules,
  ...compatibilityRules,
  ...robustnessRules,
  ...functionRules,
];

export const lintRuleIds: readonly string[] = lintRules.map((rule) => rule.id);
