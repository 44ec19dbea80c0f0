import type { Call } from '../core/call/call.js';
import { header, splitCommaLists, type SipRequest } from './message.js';

/**
 * The headers of a priority call, as received: Resource-Priority (RFC 4412 §3.1, a comma list that may be repeated)
 * and Priority (RFC 3261 §20.26, `psap-callback` per RFC 7090). What they mean is the core's decision (call-priority.ts).
 */
export function priorityHeadersOf(request: SipRequest): Pick<Call, 'resourcePriority' | 'priority'> {
  const values = request.headers.get('resource-priority');
  const out: Pick<Call, 'resourcePriority' | 'priority'> = {};
  if (values !== undefined) out.resourcePriority = splitCommaLists(values);
  const priority = header(request, 'priority');
  if (priority !== undefined) out.priority = priority;
  return out;
}

/**
 * The Resource-Priority a redirect answer carries (RFC 8443 §5):
 * - sign mode: nothing; the call keeps its own header, now backed by the rph Identity;
 * - verify mode, for a call that had one: the values an rph PASSporT of the call authorises, and no header when none
 *   is. An SBC that follows the 302 replaces the INVITE's Resource-Priority with this one (see docs/priority-calls.md).
 */
export function resourcePriorityHeader(priority: { honoured: readonly string[] } | undefined): string[] {
  return priority !== undefined && priority.honoured.length > 0 ? [`Resource-Priority: ${priority.honoured.join(', ')}`] : [];
}
