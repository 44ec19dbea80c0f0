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

export function listRoutingRules(store: Store, accountId: string): Promise<RoutingRule[]> {
  return store.listRoutingRules(accountId);
}

/**
 * Removes one of the account's rules. Another account's rule is answered exactly as a rule that does not exist
 * (ERR_REQ_NOT_FOUND, same words), never removed: every caller names the account it acts for.
 */
export async function removeRoutingRule(store: Store, accountId: string, ruleId: unknown): Promise<RoutingRule> {
  const rule = typeof ruleId === 'string' ? (await store.listRoutingRules(accountId)).find((r) => r.id === ruleId) : undefined;
  if (!rule) throw new ShakenError('ERR_REQ_NOT_FOUND', `routing rule ${String(ruleId)} does not exist for this account`, { field: 'id' });
  return store.removeRoutingRule(rule.id);
}
