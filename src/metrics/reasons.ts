/**
 * Refusals folded into the few categories metrics are labelled with. Messages carry ids
 * (`illegal user id: X`), which would make a series per id; the category does not. Pure.
 */

/**
 * A signed-call refusal's label: its stable catalogue code without the prefix, lower case
 * (`CCV_ERR_INVALID_SIGNATURE` -> `invalid_signature`). The catalogue is fixed, so the labels are too.
 */
export function signedRefusalReason(errorCode: string): string {
  return /^CCV_ERR_[A-Z_]+$/.test(errorCode) ? errorCode.slice('CCV_ERR_'.length).toLowerCase() : 'other';
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

export function heartbeatReason(reason: string): string {
  for (const [test, label] of HEARTBEAT) if (test.test(reason)) return label;
  return 'other';
}
