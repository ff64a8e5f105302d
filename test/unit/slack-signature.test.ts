import { signSlackRequest, verifySlackSignature } from '../../functions/shared/slack-signature';

const SECRET = 'test-signing-secret-0123456789abcdef';
const NOW = 1_795_000_000;
const BODY = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 'U0LEE' } }))}`;

function signed(body: string | Buffer = BODY, at = NOW, secret = SECRET) {
  const headers = signSlackRequest({ signingSecret: secret, rawBody: body, timestampSeconds: at });
  return { timestampHeader: headers['x-slack-request-timestamp'], signatureHeader: headers['x-slack-signature'] };
}

describe('Slack request signature (v0)', () => {
  it("matches Slack's published example signature", () => {
    // The worked example in Slack's "Verifying requests from Slack" guide.
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const check = verifySlackSignature({
      signingSecret: '8f742231b10e8888abcd99yyyzzz85a5',
      timestampHeader: '1531420618',
      signatureHeader: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      rawBody: body,
      nowSeconds: 1531420618 + 10,
    });
    expect(check).toEqual({ ok: true });
  });

  it('accepts a request signed with the signing secret, as text or as raw bytes', () => {
    expect(verifySlackSignature({ signingSecret: SECRET, ...signed(), rawBody: BODY, nowSeconds: NOW })).toEqual({ ok: true });
    const bytes = Buffer.from('payload=%7B%22text%22%3A%22%EC%8A%B9%EC%9D%B8%22%7D', 'utf8');
    expect(verifySlackSignature({ signingSecret: SECRET, ...signed(bytes), rawBody: bytes, nowSeconds: NOW })).toEqual({ ok: true });
  });

  it('produces the v0=<64 hex> header format', () => {
    expect(signed().signatureHeader).toMatch(/^v0=[0-9a-f]{64}$/);
    expect(signed().timestampHeader).toBe(String(NOW));
  });

  it('rejects a body signed with another secret', () => {
    const check = verifySlackSignature({ signingSecret: SECRET, ...signed(BODY, NOW, 'someone-elses-secret'), rawBody: BODY, nowSeconds: NOW });
    expect(check).toEqual({ ok: false, reason: 'signature-mismatch' });
  });

  it('rejects a body changed after signing', () => {
    const check = verifySlackSignature({ signingSecret: SECRET, ...signed(), rawBody: `${BODY}&x=1`, nowSeconds: NOW });
    expect(check).toEqual({ ok: false, reason: 'signature-mismatch' });
  });

  it('rejects a signature moved to another timestamp', () => {
    const { signatureHeader } = signed(BODY, NOW);
    const check = verifySlackSignature({ signingSecret: SECRET, timestampHeader: String(NOW - 1), signatureHeader, rawBody: BODY, nowSeconds: NOW });
    expect(check).toEqual({ ok: false, reason: 'signature-mismatch' });
  });

  it('rejects a stale timestamp even with a valid signature, and accepts the edge of the window', () => {
    expect(verifySlackSignature({ signingSecret: SECRET, ...signed(BODY, NOW - 301), rawBody: BODY, nowSeconds: NOW })).toEqual({
      ok: false,
      reason: 'stale-timestamp',
    });
    expect(verifySlackSignature({ signingSecret: SECRET, ...signed(BODY, NOW - 300), rawBody: BODY, nowSeconds: NOW })).toEqual({ ok: true });
  });

  it('rejects a future timestamp beyond the window', () => {
    expect(verifySlackSignature({ signingSecret: SECRET, ...signed(BODY, NOW + 301), rawBody: BODY, nowSeconds: NOW })).toEqual({
      ok: false,
      reason: 'future-timestamp',
    });
  });

  it('honours a narrower tolerance', () => {
    const check = verifySlackSignature({ signingSecret: SECRET, ...signed(BODY, NOW - 61), rawBody: BODY, nowSeconds: NOW, toleranceSeconds: 60 });
    expect(check).toEqual({ ok: false, reason: 'stale-timestamp' });
  });

  it.each([
    ['a truncated signature', (s: string) => s.slice(0, -1)],
    ['a longer signature', (s: string) => `${s}00`],
    ['a signature without the v0= prefix', (s: string) => s.slice(3)],
    ['a multi-byte character in the signature', (s: string) => `${s.slice(0, -1)}é`],
  ])('rejects %s as a length mismatch without throwing', (_case, mangle) => {
    const { timestampHeader, signatureHeader } = signed();
    expect(() =>
      verifySlackSignature({ signingSecret: SECRET, timestampHeader, signatureHeader: mangle(signatureHeader), rawBody: BODY, nowSeconds: NOW }),
    ).not.toThrow();
    expect(verifySlackSignature({ signingSecret: SECRET, timestampHeader, signatureHeader: mangle(signatureHeader), rawBody: BODY, nowSeconds: NOW })).toEqual({
      ok: false,
      reason: 'signature-length-mismatch',
    });
  });

  it('rejects a request missing either header', () => {
    const { timestampHeader, signatureHeader } = signed();
    expect(verifySlackSignature({ signingSecret: SECRET, timestampHeader: undefined, signatureHeader, rawBody: BODY, nowSeconds: NOW })).toEqual({
      ok: false,
      reason: 'missing-timestamp',
    });
    expect(verifySlackSignature({ signingSecret: SECRET, timestampHeader, signatureHeader: undefined, rawBody: BODY, nowSeconds: NOW })).toEqual({
      ok: false,
      reason: 'missing-signature',
    });
    expect(verifySlackSignature({ signingSecret: SECRET, timestampHeader: '', signatureHeader: '', rawBody: BODY, nowSeconds: NOW })).toEqual({
      ok: false,
      reason: 'missing-timestamp',
    });
  });

  it('rejects a timestamp that is not whole epoch seconds', () => {
    for (const bad of ['1795000000.5', '-1795000000', 'now', '17950000000000000']) {
      const { signatureHeader } = signed();
      expect(verifySlackSignature({ signingSecret: SECRET, timestampHeader: bad, signatureHeader, rawBody: BODY, nowSeconds: NOW })).toEqual({
        ok: false,
        reason: 'malformed-timestamp',
      });
    }
  });
});
