import { isPlainDialect } from '../sbc-dialect.js';
import type { SourceResolver } from '../source-caller.js';
import type { Call, CallResult } from './call.js';
import type { CallService } from './call-service.js';

/**
 * The call service, with each result marked with the SBC dialect of the SIP source the call came from
 * (issue 15), so the transport writes the answer that SBC expects from the result alone. The dialect comes from
 * the source resolver's cached table (the one that told the caller), never from the store per call. A call of
 * no source (unknown address, or identified otherwise) and a source of the plain dialect get no mark: their
 * results, and so their answers, are exactly what they were without dialects.
 */
export function withSourceDialects(calls: CallService, sources: Pick<SourceResolver, 'dialectOf'>): CallService {
  async function marked(call: Call, result: CallResult): Promise<CallResult> {
    // A stranger (no account) gets the plain refusal: what its address's block wants is not its business.
    if (call.sourceAddress === undefined || result.accountId === undefined) return result;
    const dialect = await sources.dialectOf(call.sourceAddress);
    // Copied with Object.assign, not a non-empty spread followed by properties it lacks (V8's slow case:
    // docs/architecture.md, "Nothing slow on the hot path").
    return isPlainDialect(dialect) ? result : Object.assign({}, result, { dialect });
  }
  return {
    signCall: async (call) => marked(call, await calls.signCall(call)),
    verifyCall: async (call) => marked(call, await calls.verifyCall(call)),
  };
}
