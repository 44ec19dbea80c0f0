import { ShakenError } from '../core/errors.js';
import { validRoutingPrefix, validRoutingTarget, type RoutingRule } from '../core/routing.js';
import type { Store } from '../store/store.js';

export interface RoutingRuleInput {
  prefix?: unknown;
  target: unknown;
  priority?: unknown;
}

/** Validates and adds a rule: prefix digits ('' or absent: every number), a sip:/sips: target, priority 0-65535 (default 10). */
export async function addRoutingRule(store: Store, accountId: string, input: RoutingRuleInput): Promise<RoutingRule> {
  const priority = input.priority === undefined ? 10 : Number(input.priority);
  if (!Number.isInteger(priority) || priority < 0 || priority > 65_535) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', 'priority must be a whole number from 0 to 65535', { field: 'priority' });
  }
  return store.addRoutingRule({
    accountId,
    prefix: validRoutingPrefix(input.prefix ?? ''),
    target: validRoutingTarget(input.target),
    priority,
  });
}
