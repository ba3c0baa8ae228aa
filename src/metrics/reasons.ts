/**
 * Refusal messages folded into the few categories metrics are labelled with. The messages carry ids
 * (`illegal user id: X`), which would make a series per id; the category does not. Pure.
 */

/** Signed-call refusal categories, by the catalogue message that starts the refusal (src/errors.ts). */
const SIGNED: [prefix: string, reason: string][] = [
  ['appId is required', 'app_id'],
  ['application not found', 'app_not_found'],
  ['invalid timestamp', 'timestamp'],
  ['invalid signature', 'signature'],
  ['signatureNonce already used', 'nonce'],
  ['qps exceeds number of calls', 'rate_limit'],
  ['param validate error', 'param'],
  ['param is not digit', 'param'],
  ['startDate can not great endDater', 'param'],
  ['illegal user id', 'illegal_user'],
  ['illegal channel id', 'illegal_channel'],
  ['method not allowed', 'method'],
];

export const SIGNED_REASONS = [...new Set(SIGNED.map(([, r]) => r)), 'unavailable', 'other'];

export function signedRefusalReason(code: number, message: string): string {
  for (const [prefix, reason] of SIGNED) if (message.startsWith(prefix)) return reason;
  return code === 503 ? 'unavailable' : 'other';
}

/** Heartbeat refusal categories, by the reason texts of src/ingest/heartbeat.ts and the ingest service. */
const HEARTBEAT: [test: RegExp, reason: string][] = [
  [/^not valid JSON/, 'invalid_json'],
  [/^a heartbeat must be/, 'not_object'],
  [/^channelId /, 'invalid_channel_id'],
  [/^viewerId /, 'invalid_viewer_id'],
  [/^unknown pullType/, 'unknown_pull_type'],
  [/^ts must be/, 'invalid_ts'],
  [/^ts is .* in the future/, 'future_ts'],
  [/^unknown channel/, 'unknown_channel'],
  [/^illegal channel id/, 'illegal_channel'],
  [/^late:/, 'late'],
];

export const HEARTBEAT_REASONS = [...new Set(HEARTBEAT.map(([, r]) => r)), 'other'];

export function heartbeatReason(reason: string): string {
  for (const [test, label] of HEARTBEAT) if (test.test(reason)) return label;
  return 'other';
}
