import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Slack request signing (v0): `x-slack-signature: v0=<hex HMAC-SHA256(signingSecret, "v0:<timestamp>:<raw body>")>`
 * with `x-slack-request-timestamp: <epoch seconds>`. Pure functions: the caller supplies the clock.
 * This check is the approval callback's authentication, so it runs before anything in the body is read.
 */

export const SLACK_SIGNATURE_HEADER = 'x-slack-signature';
export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';
/** Slack's recommended replay window. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export type SignatureFailure =
  | 'missing-timestamp'
  | 'missing-signature'
  | 'malformed-timestamp'
  | 'stale-timestamp'
  | 'future-timestamp'
  | 'signature-length-mismatch'
  | 'signature-mismatch';

export type SignatureCheck = { ok: true } | { ok: false; reason: SignatureFailure };

export interface VerifyOptions {
  signingSecret: string;
  timestampHeader: string | undefined;
  signatureHeader: string | undefined;
  /** The body exactly as received (decode base64 first); never a re-serialised form. */
  rawBody: string | Buffer;
  nowSeconds: number;
  toleranceSeconds?: number;
}

function hexSignature(signingSecret: string, timestamp: string, rawBody: string | Buffer): string {
  return createHmac('sha256', signingSecret)
    .update(`v0:${timestamp}:`, 'utf8')
    .update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody)
    .digest('hex');
}

export function verifySlackSignature(options: VerifyOptions): SignatureCheck {
  const { signingSecret, timestampHeader, signatureHeader, rawBody, nowSeconds } = options;
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (timestampHeader === undefined || timestampHeader === '') return { ok: false, reason: 'missing-timestamp' };
  if (signatureHeader === undefined || signatureHeader === '') return { ok: false, reason: 'missing-signature' };
  if (!/^\d{1,12}$/.test(timestampHeader)) return { ok: false, reason: 'malformed-timestamp' };
  const age = nowSeconds - Number(timestampHeader);
  if (age > tolerance) return { ok: false, reason: 'stale-timestamp' };
  if (age < -tolerance) return { ok: false, reason: 'future-timestamp' };

  const expected = Buffer.from(`v0=${hexSignature(signingSecret, timestampHeader, rawBody)}`, 'utf8');
  const given = Buffer.from(signatureHeader, 'utf8');
  // timingSafeEqual throws on different lengths; a length is no secret, so compare it first.
  if (given.length !== expected.length) return { ok: false, reason: 'signature-length-mismatch' };
  return timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'signature-mismatch' };
}

/**
 * Signs a request body as Slack does: for tests and for the local drill, which plays an approver
 * clicking the button. Returns the two headers Slack sends.
 */
export function signSlackRequest(options: { signingSecret: string; rawBody: string | Buffer; timestampSeconds: number }): {
  [SLACK_TIMESTAMP_HEADER]: string;
  [SLACK_SIGNATURE_HEADER]: string;
} {
  const timestamp = String(Math.floor(options.timestampSeconds));
  return {
    [SLACK_TIMESTAMP_HEADER]: timestamp,
    [SLACK_SIGNATURE_HEADER]: `v0=${hexSignature(options.signingSecret, timestamp, options.rawBody)}`,
  };
}
