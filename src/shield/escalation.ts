import type { OffenseLevel } from './offenseLevel.js';
import type { Severity } from './writers/types.js';

/** Escalation responses, mildest first. */
export const escalationActions = ['warn', 'mute_temp', 'mute_permanent', 'block', 'report', 'escalate'] as const;

export type EscalationAction = (typeof escalationActions)[number];

/**
 * severity × offence level → response. Monotone: moving right (a worse history)
 * or down (a worse comment) never yields a milder response. `escalate` means a
 * human decides; it never reaches a platform by itself.
 */
export const escalationMatrix: Readonly<Record<Severity, Readonly<Record<OffenseLevel, EscalationAction>>>> = {
  low: { first: 'warn', repeat: 'warn', persistent: 'mute_temp', dangerous: 'mute_permanent' },
  medium: { first: 'warn', repeat: 'mute_temp', persistent: 'mute_permanent', dangerous: 'block' },
  high: { first: 'mute_temp', repeat: 'mute_permanent', persistent: 'block', dangerous: 'report' },
  critical: { first: 'block', repeat: 'report', persistent: 'escalate', dangerous: 'escalate' },
};

/**
 * @example
 * escalate('medium', 'repeat'); // 'mute_temp'
 */
export function escalate(severity: Severity, level: OffenseLevel): EscalationAction {
  return escalationMatrix[severity][level];
}
