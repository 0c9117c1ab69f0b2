/** Tag sets a real Shield sends (see tagDecision.ts), cycled so strikes and escalation are exercised. */
const scenarios: ReadonlyArray<{ readonly tags: readonly string[]; readonly toxicity: number }> = [
  { tags: ['check_reincidence'], toxicity: 0.5 },
  { tags: ['hide_comment', 'add_strike_1', 'check_reincidence'], toxicity: 0.9 },
  { tags: ['check_reincidence'], toxicity: 0.65 },
  { tags: ['hide_comment', 'block_user', 'report_to_platform', 'add_strike_2', 'check_reincidence'], toxicity: 0.97 },
];

export interface BodyPlan {
  readonly organizationId: string;
  readonly users: number;
  readonly hotUser: boolean;
  /** Makes comment ids unique across runs against the same database. */
  readonly runId: string;
}

/** The offender of request `n`: spread over `users`, or always the same one with hotUser. */
export function offenderOf(plan: BodyPlan, n: number): string {
  return plan.hotUser ? `load-${plan.runId}-hot` : `load-${plan.runId}-u${n % plan.users}`;
}

/**
 * The JSON body of request number `n` of a run. Deterministic, so a test can predict
 * what a run wrote.
 *
 * @example
 * actionBody({ organizationId, users: 10, hotUser: false, runId: 'r1' }, 3);
 */
export function actionBody(plan: BodyPlan, n: number): string {
  const scenario = scenarios[n % scenarios.length]!;
  return JSON.stringify({
    organization_id: plan.organizationId,
    comment: {
      id: `load-${plan.runId}-c${n}`,
      platform: 'twitter',
      platform_user_id: offenderOf(plan, n),
      platform_username: `load_user_${n % plan.users}`,
      text: 'synthetic comment from shipcheck shield load',
    },
    action_tags: scenario.tags,
    metadata: { toxicity_score: scenario.toxicity, source: 'shipcheck-load' },
  });
}
