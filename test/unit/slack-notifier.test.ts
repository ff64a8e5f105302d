import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ActionsBlock, Button, ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { APPROVE_ACTION_ID, DENY_ACTION_ID, type CutoverEvent, type CutoverReport } from '../../functions/shared/contracts';
import { LIMITS, withinLimits } from '../../functions/slack-notifier/format';
import {
  notifySlack,
  parseSnsEvent,
  renderMessage,
  toPlainText,
  type NotifierDeps,
  type SlackMessage,
} from '../../functions/slack-notifier/logic';
import { SlackDeliveryError, postToSlack, retryAfterMs, webhookUrlFromSecret, type Fetch } from '../../functions/slack-notifier/webhook';
import { lambdaContext } from '../support/lambda';

// ---- fixtures -------------------------------------------------------------------

const WEBHOOK_PATH_SECRET = 's3cr3tW3bh00kT0k3n';
const WEBHOOK_URL = `https://hooks.slack.com/services/T0PORTFORGE/B0CUTOVER/${WEBHOOK_PATH_SECRET}`;
const EXECUTION_ARN = 'arn:aws:states:ap-northeast-1:123456789012:execution:DrCutover-prod:cutover-20261127-0300';
const EXECUTION_URL = `https://ap-northeast-1.console.aws.amazon.com/states/home?region=ap-northeast-1#/v2/executions/details/${EXECUTION_ARN}`;

const alarm = {
  AlarmName: 'portforge primary/health',
  AlarmDescription: 'Seoul health check failing',
  AWSAccountId: '123456789012',
  NewStateValue: 'ALARM',
  OldStateValue: 'OK',
  NewStateReason: 'Threshold Crossed: 3 out of the last 3 datapoints were less than the threshold (1.0).',
  StateChangeTime: '2026-11-27T02:58:00.123+0000',
  Region: 'Asia Pacific (Tokyo)',
  AlarmArn: 'arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:portforge primary/health',
  Trigger: { MetricName: 'HealthCheckStatus', Namespace: 'AWS/Route53' },
};

const input = {
  mode: 'emergency' as const,
  dryRun: false,
  reason: 'Seoul API 5xx for 10 minutes',
  requestedBy: 'alice',
  trigger: { type: 'alarm' as const, alarmName: 'portforge-primary-health', time: '2026-11-27T02:58:00Z' },
};
const base = { environment: 'prod', executionId: EXECUTION_ARN, at: '2026-11-27T03:00:00Z', input };
const steps = [
  { step: 'Preflight', startedAt: '2026-11-27T03:00:05Z', finishedAt: '2026-11-27T03:00:09Z', durationSeconds: 4.2, outcomes: ['verified'] },
  { step: 'Promote RDS replica', startedAt: '2026-11-27T03:00:10Z', finishedAt: '2026-11-27T03:06:40Z', durationSeconds: 390, outcomes: ['changed'] },
];
const report: CutoverReport = {
  environment: 'prod',
  executionId: EXECUTION_ARN,
  status: 'succeeded',
  mode: 'emergency',
  dryRun: false,
  startedAt: '2026-11-27T03:00:00Z',
  finishedAt: '2026-11-27T03:09:42Z',
  rtoSeconds: 582,
  rpoSeconds: 2.5,
  steps,
  changes: [{ resource: 'rds:portforge-dr-rds-replica', action: 'promote read replica', before: 'replica', after: 'standalone' }],
  failure: null,
};
const approval = { approvalId: 'apr-7f3c', expiresAt: '2026-11-27T03:30:00Z', approvers: ['sre-lead', 'platform-oncall'] };

const event = (extra: Partial<CutoverEvent> & Pick<CutoverEvent, 'type'>): CutoverEvent => ({ ...base, ...extra });
const render = (message: unknown, subject?: string) => renderMessage({ subject: subject ?? null, message: typeof message === 'string' ? message : JSON.stringify(message) });

// ---- block helpers --------------------------------------------------------------------

const headerText = (m: SlackMessage) => (m.blocks.find((b): b is HeaderBlock => b.type === 'header') ?? { text: { text: '' } }).text.text;
const sections = (m: SlackMessage) => m.blocks.filter((b): b is SectionBlock => b.type === 'section');
/** Field texts by label ("*Label*\nvalue" → { Label: value }). */
const fieldsOf = (m: SlackMessage): Record<string, string> =>
  Object.fromEntries<string>(
    sections(m)
      .flatMap((s) => s.fields ?? [])
      .map((f) => /^\*([^*]+)\*\n([\s\S]*)$/.exec(f.text))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match): [string, string] => [match[1] ?? '', match[2] ?? '']),
  );
const sectionText = (m: SlackMessage, label: string) => sections(m).find((s) => s.text?.text.startsWith(`*${label}*`))?.text?.text ?? '';
const contextText = (m: SlackMessage) =>
  m.blocks
    .filter((b): b is ContextBlock => b.type === 'context')
    .flatMap((b) => b.elements.map((e) => ('text' in e ? e.text : '')))
    .join(' | ');
const buttons = (m: SlackMessage): Button[] =>
  m.blocks.filter((b): b is ActionsBlock => b.type === 'actions').flatMap((b) => b.elements.filter((e): e is Button => e.type === 'button'));

/** Every key anywhere in a JSON value. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)]);
}

// ---- fakes -----------------------------------------------------------------------------

interface Captured {
  lines: string[];
}

function fakeLog(captured: Captured) {
  const record = (level: string) => (message: string, extra: Record<string, unknown>) => {
    captured.lines.push(JSON.stringify({ level, message, ...extra }));
  };
  return { info: record('info'), warn: record('warn'), error: record('error') };
}

type Step = { status: number; body?: string; headers?: Record<string, string> } | Error;

/** A fetch that answers each call from a script (the last entry repeats) and records what was posted. */
function scriptedFetch(script: Step[]) {
  const calls: Array<{ url: string; init: RequestInit; payload: { text: string; blocks?: KnownBlock[] } }> = [];
  const fetch = jest.fn<ReturnType<Fetch>, Parameters<Fetch>>((url, init) => {
    calls.push({ url, init, payload: JSON.parse(init.body as string) as { text: string; blocks?: KnownBlock[] } });
    const next = script[Math.min(calls.length - 1, script.length - 1)];
    if (next === undefined) return Promise.reject(new Error('empty script'));
    if (next instanceof Error) return Promise.reject(next);
    return Promise.resolve(new Response(next.body ?? (next.status < 300 ? 'ok' : 'error'), { status: next.status, headers: next.headers ?? {} }));
  });
  return { fetch, calls };
}

function deps(fetch: Fetch, captured: Captured = { lines: [] }, overrides: Partial<NotifierDeps> = {}) {
  const sleep = jest.fn((_ms: number) => Promise.resolve());
  const d: NotifierDeps & { sleep: typeof sleep } = {
    webhookUrl: () => Promise.resolve(WEBHOOK_URL),
    fetch,
    sleep,
    now: () => 1_000_000,
    log: fakeLog(captured),
    ...overrides,
  } as NotifierDeps & { sleep: typeof sleep };
  return d;
}

function snsEvent(...messages: Array<{ message: string; subject?: string | null; id?: string }>): SNSEvent {
  return {
    Records: messages.map((m, i) => ({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:ap-northeast-1:123456789012:alarms:sub',
      Sns: {
        Type: 'Notification',
        MessageId: m.id ?? `msg-${i + 1}`,
        TopicArn: 'arn:aws:sns:ap-northeast-1:123456789012:alarms',
        Subject: m.subject ?? undefined,
        Message: m.message,
        Timestamp: '2026-11-27T03:00:00.000Z',
        SignatureVersion: '1',
        Signature: 'sig',
        SigningCertUrl: 'https://sns.ap-northeast-1.amazonaws.com/cert.pem',
        UnsubscribeUrl: 'https://sns.ap-northeast-1.amazonaws.com/unsubscribe',
        MessageAttributes: {},
      },
    })),
  };
}

// ---- rendering ------------------------------------------------------------------------------

describe('Slack notifier rendering', () => {
  it('renders a CloudWatch alarm with its state change, reason, Region and a console link to the alarm', () => {
    const m = render(alarm);

    expect(headerText(m)).toBe('🔴 ALARM: portforge primary/health');
    const f = fieldsOf(m);
    expect(f['State change']).toBe('🟢 OK → 🔴 ALARM');
    expect(f.Region).toBe('Asia Pacific (Tokyo) · ap-northeast-1');
    expect(f.Since).toBe('<!date^1795748280^{date_short_pretty} {time_secs}|2026-11-27 02:58:00 UTC>');
    expect(sectionText(m, 'Reason')).toBe(`*Reason*\n${alarm.NewStateReason}`);
    expect(contextText(m)).toBe(
      '<https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1#alarmsV2:alarm/portforge%20primary%2Fhealth|Open the alarm in CloudWatch>',
    );
    expect(m.text).toBe(`🔴 portforge primary/health is ALARM (was OK): ${alarm.NewStateReason}`);
  });

  it('marks OK and INSUFFICIENT_DATA with their own emoji and links to CONSOLE_REGION only when the ARN names no Region', () => {
    const m = renderMessage({ message: { ...alarm, AlarmArn: undefined, NewStateValue: 'INSUFFICIENT_DATA', OldStateValue: 'OK' } }, { consoleRegion: 'ap-northeast-2' });

    expect(headerText(m)).toBe('⚪ INSUFFICIENT_DATA: portforge primary/health');
    expect(fieldsOf(m)['State change']).toBe('🟢 OK → ⚪ INSUFFICIENT_DATA');
    expect(contextText(m)).toContain('https://ap-northeast-2.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-2#alarmsV2:alarm/');
    expect(headerText(render({ ...alarm, NewStateValue: 'OK', OldStateValue: 'ALARM' }))).toBe('🟢 OK: portforge primary/health');
  });

  it('renders cutover.started with mode, dry run, reason, requester, trigger and the execution link', () => {
    const m = render(event({ type: 'cutover.started' }));

    expect(headerText(m)).toBe('🚨 Emergency cutover started: prod');
    expect(fieldsOf(m)).toEqual({
      Mode: 'emergency',
      'Dry run': 'no',
      'Requested by': 'alice',
      Trigger: 'alarm `portforge-primary-health` at <!date^1795748280^{date_short_pretty} {time_secs}|2026-11-27 02:58:00 UTC>',
    });
    expect(sectionText(m, 'Reason')).toBe('*Reason*\nSeoul API 5xx for 10 minutes');
    expect(contextText(m)).toContain(`Execution <${EXECUTION_URL}|cutover-20261127-0300>`);
    expect(contextText(m)).toContain('Environment `prod`');
  });

  it('says when a started run is a dry run, and shows a non-ARN execution id without a link', () => {
    const m = render(event({ type: 'cutover.started', executionId: 'exec-1', input: { ...input, dryRun: true, trigger: { type: 'manual' } } }));

    expect(headerText(m)).toBe('🧪 Dry run started: prod');
    expect(fieldsOf(m)).toMatchObject({ 'Dry run': 'yes', Trigger: 'manual' });
    expect(contextText(m)).toContain('Execution `exec-1`');
    expect(contextText(m)).not.toContain('console.aws.amazon.com');
  });

  it('renders cutover.stage-completed with the stage', () => {
    const m = render(event({ type: 'cutover.stage-completed', stage: 'Switch traffic' }));

    expect(headerText(m)).toBe('☑️ Switch traffic completed: prod');
    expect(fieldsOf(m).Stage).toBe('Switch traffic');
    expect(m.text).toBe('☑️ Switch traffic completed: prod');
  });

  it('renders cutover.approval-needed with approvers, expiry and Approve/Deny buttons carrying the approval id', () => {
    const m = render(event({ type: 'cutover.approval-needed', approval }));

    expect(headerText(m)).toBe('✋ Approval needed: emergency cutover of prod');
    expect(fieldsOf(m)['Who may approve']).toBe('sre-lead, platform-oncall');
    expect(fieldsOf(m).Expires).toBe('<!date^1795750200^{date_short_pretty} {time_secs}|2026-11-27 03:30:00 UTC>');
    const [approve, deny] = buttons(m);
    expect(approve).toMatchObject({ action_id: APPROVE_ACTION_ID, value: 'apr-7f3c', style: 'primary', text: { text: 'Approve' } });
    expect(approve?.confirm).toMatchObject({ title: { text: 'Approve the cutover?' }, confirm: { text: 'Approve' }, deny: { text: 'Cancel' } });
    expect(approve?.confirm?.text.text).toContain('Promotion cannot be undone');
    expect(deny).toMatchObject({ action_id: DENY_ACTION_ID, value: 'apr-7f3c', style: 'danger', text: { text: 'Deny' } });
    expect(deny?.confirm).toBeUndefined();
  });

  it('puts no task token anywhere in the approval message, even when the event carries one', () => {
    const token = 'AQCEAAAAKgAAAAMAAAAAAAAAAXVeryLongTaskToken==';
    const m = renderMessage({ message: JSON.stringify({ ...event({ type: 'cutover.approval-needed', approval }), taskToken: token }) });

    expect(keysOf(m).filter((k) => /token/i.test(k))).toEqual([]);
    expect(JSON.stringify(m)).not.toContain(token);
    expect(buttons(m).map((b) => b.value)).toEqual(['apr-7f3c', 'apr-7f3c']);
  });

  it('renders cutover.failed with the failed step, error, truncated cause, next steps and RTO so far', () => {
    const cause = `[Promote RDS replica] ${'x'.repeat(5000)}`;
    const failure = { stage: 'Recover', step: 'Promote RDS replica', error: 'PromotionFailedError', cause, nextSteps: ['Fix the cause.', 'Redrive.'] };
    const m = render(event({ type: 'cutover.failed', stage: 'Recover', report: { ...report, status: 'failed', rtoSeconds: 131.4, failure } }));

    expect(headerText(m)).toBe('❌ Cutover failed: prod');
    expect(fieldsOf(m)).toMatchObject({ 'Failed step': 'Promote RDS replica', Stage: 'Recover', Error: '`PromotionFailedError`', 'RTO so far': '2 m 11 s' });
    const causeText = sectionText(m, 'Cause');
    expect(causeText.startsWith('*Cause*\n```[Promote RDS replica] xxx')).toBe(true);
    expect(causeText.endsWith('…```')).toBe(true);
    expect(causeText.length).toBeLessThanOrEqual(LIMITS.cause + 20);
    expect(sectionText(m, 'Next steps')).toBe('*Next steps*\n• Fix the cause.\n• Redrive.');
    expect(sectionText(m, 'Steps that finished')).toContain('• Promote RDS replica: 6 m 30 s (changed)');
    expect(m.text).toBe('❌ Cutover failed: prod — Promote RDS replica (PromotionFailedError)');
  });

  it('renders cutover.failed without a report from the stage alone', () => {
    const m = render(event({ type: 'cutover.failed', stage: 'Preflight' }));

    expect(headerText(m)).toBe('❌ Cutover failed: prod');
    expect(fieldsOf(m)['Failed stage']).toBe('Preflight');
    expect(sections(m).some((s) => s.text?.text.startsWith('No report was produced'))).toBe(true);
  });

  it('renders cutover.succeeded with the RTO/RPO summary and per-step durations', () => {
    const m = render(event({ type: 'cutover.succeeded', report }));

    expect(headerText(m)).toBe('✅ Cutover succeeded: prod');
    expect(fieldsOf(m)).toMatchObject({ RTO: '9 m 42 s', RPO: 'apply lag 2.5 s at promotion (ReplicaLag)', Mode: 'emergency' });
    expect(sectionText(m, 'Step durations')).toBe('*Step durations*\n• Preflight: 4.2 s (verified)\n• Promote RDS replica: 6 m 30 s (changed)');
    expect(sectionText(m, 'Changes made')).toContain('`rds:portforge-dr-rds-replica`: promote read replica (`replica` → `standalone`)');
    expect(fieldsOf(render(event({ type: 'cutover.succeeded', report: { ...report, rpoSeconds: null } }))).RPO).toBe('none recorded: this run promoted no replica');
  });

  it('says the RPO is unknown, with when replication stopped and the last known apply lag, when Seoul was down', () => {
    const outage = {
      ...report,
      rpoSeconds: null,
      rpo: {
        state: 'unknown' as const,
        replication: 'stopped' as const,
        applyLagSeconds: null,
        replicationStoppedAt: '2026-01-01T00:00:00.000Z',
        lastKnownApplyLagSeconds: 2,
        statusInfo: 'read replication error (not normal)',
      },
    };
    const fields = fieldsOf(render(event({ type: 'cutover.succeeded', report: outage })));
    expect(fields.RPO).toBeUndefined();
    const rpo = fields['RPO unknown'] ?? '';
    expect(rpo).toMatch(/^replication stopped at .+; last known apply lag 2 s$/);
    expect(rpo).toContain('<!date^1767225600');
    expect(rpo).not.toMatch(/(^|\s)(-1|0 s)\b/);
  });

  it('renders cutover.dry-run-plan with the would-be changes capped at 20 lines and "+N more"', () => {
    const changes = Array.from({ length: 24 }, (_, i) => ({ resource: `route53 r${i}.portforge.org A`, action: 'UPSERT alias', before: 'seoul-alb', after: 'tokyo-alb' }));
    const m = render(event({ type: 'cutover.dry-run-plan', input: { ...input, dryRun: true }, report: { ...report, dryRun: true, changes } }));

    expect(headerText(m)).toBe('🧪 Dry-run plan: prod');
    const lines = sectionText(m, 'Would change').split('\n');
    expect(lines[0]).toBe('*Would change* (24)');
    expect(lines.filter((l) => l.startsWith('• '))).toHaveLength(20);
    expect(lines[1]).toBe('• `route53 r0.portforge.org A`: UPSERT alias (`seoul-alb` → `tokyo-alb`)');
    expect(lines[lines.length - 1]).toBe('+4 more');
    expect(m.text).toBe('🧪 Dry-run plan: prod — 24 changes');
  });

  it('escapes Slack control characters so a reason cannot mention @channel or fake a link', () => {
    const m = render(event({ type: 'cutover.started', input: { ...input, reason: '<!channel> & <https://evil.example|click>' } }));

    expect(sectionText(m, 'Reason')).toBe('*Reason*\n&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
  });

  it('keeps within Slack limits: header ≤ 150, section text ≤ 3000, ≤ 50 blocks', () => {
    const m = render(event({ type: 'cutover.started', environment: 'e'.repeat(400), input: { ...input, reason: 'r'.repeat(5000).slice(0, 1000) } }));
    expect(headerText(m).length).toBeLessThanOrEqual(150);
    expect(headerText(m).endsWith('…')).toBe(true);

    const huge = withinLimits({ text: 't'.repeat(50_000), blocks: Array.from({ length: 70 }, () => ({ type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(4000) } })) });
    expect(huge.blocks).toHaveLength(50);
    expect(huge.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
    expect(sections(huge).every((s) => (s.text?.text.length ?? 0) <= 3000)).toBe(true);
    expect(huge.blocks[49]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: '+21 more blocks not shown' }] });
  });
});

describe('Slack notifier fallback for unreadable messages', () => {
  it('posts a message that is not JSON as received, under its subject', () => {
    const m = render('Disk almost full <!here>', 'Ops notice');

    expect(headerText(m)).toBe('📨 Ops notice');
    expect(sectionText(m, 'Message')).toBe('*Message*\n```Disk almost full &lt;!here&gt;```');
    expect(contextText(m)).toBe('Shown as received: the message is not JSON.');
  });

  it('posts JSON of another shape as received', () => {
    const m = render({ hello: 'world' });

    expect(headerText(m)).toBe('📨 dr-cutover notification');
    expect(sectionText(m, 'Message')).toBe('*Message*\n```{"hello":"world"}```');
    expect(contextText(m)).toContain('neither a CloudWatch alarm nor a cutover event');
  });

  it('posts an unknown or malformed cutover event as received, naming the problem', () => {
    const unknown = render({ ...base, type: 'cutover.exploded' }, '[dr-cutover] prod exploded');
    expect(headerText(unknown)).toBe('📨 [dr-cutover] prod exploded');
    expect(contextText(unknown)).toContain('unknown event type "cutover.exploded"');

    const malformed = render({ type: 'cutover.failed', environment: 'prod' });
    expect(contextText(malformed)).toContain('the cutover.failed event does not match its contract');
  });

  it('truncates a huge raw message to fit one section', () => {
    const m = render('z'.repeat(20_000));
    const text = sectionText(m, 'Message');

    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text.endsWith('…```')).toBe(true);
  });
});

describe('toPlainText', () => {
  it('turns a rendered approval request into readable lines', () => {
    const text = toPlainText(render(event({ type: 'cutover.approval-needed', approval })));

    expect(text.split('\n')).toEqual([
      '✋ Approval needed: emergency cutover of prod',
      '',
      'An emergency cutover of prod is waiting for approval before any change is made.',
      'Mode: emergency',
      'Dry run: no',
      'Requested by: alice',
      'Trigger: alarm portforge-primary-health at 2026-11-27 02:58:00 UTC',
      'Who may approve: sre-lead, platform-oncall',
      'Expires: 2026-11-27 03:30:00 UTC',
      'Reason: Seoul API 5xx for 10 minutes',
      '[ Approve ]  [ Deny ]',
      `Execution cutover-20261127-0300 (${EXECUTION_URL})  ·  Environment prod  ·  2026-11-27 03:00:00 UTC`,
    ]);
  });

  it('lists bullets under their label, indents code blocks and unescapes entities', () => {
    const failure = { stage: 'Recover', step: 'Promote RDS replica', error: 'PromotionFailedError', cause: 'a < b\nline two', nextSteps: ['Fix it.'] };
    const text = toPlainText(render(event({ type: 'cutover.failed', report: { ...report, status: 'failed', failure } })));

    expect(text).toContain('Cause:\n    a < b\n    line two');
    expect(text).toContain('Next steps:\n• Fix it.');
    expect(toPlainText({ text: 'only *text* &amp; <https://x.example|a link>' })).toBe('only text & a link (https://x.example)');
  });
});

// ---- delivery ---------------------------------------------------------------------------------

describe('Slack webhook delivery', () => {
  const message: SlackMessage = { text: 'hello', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hello' } }] };

  it('posts JSON with a per-attempt timeout signal', async () => {
    const { fetch, calls } = scriptedFetch([{ status: 200 }]);
    const d = deps(fetch);

    await expect(postToSlack(d, WEBHOOK_URL, message)).resolves.toEqual({ status: 200, attempts: 1 });
    expect(calls[0]?.init).toMatchObject({ method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(calls[0]?.init.signal).toBeInstanceOf(AbortSignal);
    expect(calls[0]?.payload).toEqual(message);
  });

  it('retries a 429 after its Retry-After, then succeeds', async () => {
    const { fetch } = scriptedFetch([{ status: 429, headers: { 'retry-after': '2' } }, { status: 200 }]);
    const d = deps(fetch);

    await expect(postToSlack(d, WEBHOOK_URL, message)).resolves.toEqual({ status: 200, attempts: 2 });
    expect(d.sleep).toHaveBeenCalledTimes(1);
    expect(d.sleep).toHaveBeenCalledWith(2000);
  });

  it('caps a long Retry-After at 5 s and reads HTTP-date Retry-After', () => {
    expect(retryAfterMs('60', 0, 5000)).toBe(5000);
    expect(retryAfterMs('Thu, 01 Jan 1970 00:00:03 GMT', 0, 5000)).toBe(3000);
    expect(retryAfterMs('soon', 0, 5000)).toBeNull();
    expect(retryAfterMs(null, 0, 5000)).toBeNull();
  });

  it('retries 5xx twice with backoff, then succeeds', async () => {
    const { fetch } = scriptedFetch([{ status: 500 }, { status: 503 }, { status: 200 }]);
    const d = deps(fetch);

    await expect(postToSlack(d, WEBHOOK_URL, message)).resolves.toEqual({ status: 200, attempts: 3 });
    expect(d.sleep.mock.calls).toEqual([[500], [1000]]);
  });

  it('retries a network error', async () => {
    const { fetch } = scriptedFetch([Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }), { status: 200 }]);
    const captured = { lines: [] as string[] };

    await expect(postToSlack(deps(fetch, captured), WEBHOOK_URL, message)).resolves.toEqual({ status: 200, attempts: 2 });
    expect(captured.lines.join('\n')).toContain('"reason":"ECONNRESET"');
  });

  it('aborts an attempt that does not answer within the timeout and retries it', async () => {
    let calls = 0;
    const fetch: Fetch = (_url, init) => {
      calls += 1;
      if (calls > 1) return Promise.resolve(new Response('ok', { status: 200 }));
      return new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('timed out', 'TimeoutError'))));
    };

    const out = await postToSlack(deps(fetch), WEBHOOK_URL, message, { maxAttempts: 3, attemptTimeoutMs: 30, budgetMs: 15_000, baseDelayMs: 1, maxRetryAfterMs: 5000 });
    expect(out).toEqual({ status: 200, attempts: 2 });
  });

  it('does not retry a 400', async () => {
    const { fetch } = scriptedFetch([{ status: 400, body: 'invalid_payload' }]);
    const d = deps(fetch);

    await expect(postToSlack(d, WEBHOOK_URL, message)).rejects.toMatchObject({ name: 'SlackDeliveryError', status: 400, attempts: 1, retryable: false });
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(d.sleep).not.toHaveBeenCalled();
  });

  it('gives up with SlackDeliveryError after 3 attempts and logs a warning', async () => {
    const { fetch } = scriptedFetch([{ status: 503 }]);
    const captured = { lines: [] as string[] };
    const d = deps(fetch, captured);

    const failure = postToSlack(d, WEBHOOK_URL, message);
    await expect(failure).rejects.toBeInstanceOf(SlackDeliveryError);
    await expect(failure).rejects.toMatchObject({ name: 'SlackDeliveryError', status: 503, attempts: 3, retryable: true });
    expect(fetch).toHaveBeenCalledTimes(3);
    const last = JSON.parse(captured.lines[captured.lines.length - 1] ?? '{}') as Record<string, unknown>;
    expect(last).toMatchObject({ level: 'warn', message: 'Slack did not take the message', attempts: 3, status: 503, gaveUp: 'attempts exhausted', host: 'hooks.slack.com' });
  });

  it('stops retrying when the next wait would overrun the time budget', async () => {
    // Each attempt takes 14.7 s of the 15 s budget, so the 500 ms backoff no longer fits.
    const { fetch: scripted } = scriptedFetch([{ status: 500 }]);
    let t = 0;
    const fetch: Fetch = (url, init) => {
      t += 14_700;
      return scripted(url, init);
    };
    const d = deps(fetch, { lines: [] }, { now: () => t });

    await expect(postToSlack(d, WEBHOOK_URL, message)).rejects.toMatchObject({ name: 'SlackDeliveryError', attempts: 1, message: expect.stringContaining('time budget exhausted') });
    expect(d.sleep).not.toHaveBeenCalled();
  });

  it('never puts the webhook URL in a log line or an error message', async () => {
    const echo = `${WEBHOOK_URL} is not a valid webhook`;
    const { fetch } = scriptedFetch([new TypeError(`request to ${WEBHOOK_URL} failed`), { status: 503, body: echo }, { status: 500, body: echo }]);
    const captured = { lines: [] as string[] };

    const error = await postToSlack(deps(fetch, captured), WEBHOOK_URL, message).then(() => new Error('delivered'), (e: unknown) => e as Error);
    const { fetch: rejecting } = scriptedFetch([{ status: 404, body: `no_service ${WEBHOOK_URL}` }]);
    const error2 = await postToSlack(deps(rejecting, captured), WEBHOOK_URL, message).then(() => new Error('delivered'), (e: unknown) => e as Error);

    const everything = [...captured.lines, error.message, error2.message, JSON.stringify(error), JSON.stringify(error2)].join('\n');
    expect(captured.lines.length).toBeGreaterThanOrEqual(3);
    expect(everything).not.toContain(WEBHOOK_PATH_SECRET);
    expect(everything).not.toContain('/services/');
    expect(everything).toContain('hooks.slack.com');
    expect(error2.message).toContain('HTTP 404 no_service [webhook]');
  });
});

describe('webhook secret value', () => {
  it('accepts the URL itself or JSON {"url": "..."}', () => {
    expect(webhookUrlFromSecret(` ${WEBHOOK_URL}\n`, 'arn:secret')).toBe(WEBHOOK_URL);
    expect(webhookUrlFromSecret(JSON.stringify({ url: WEBHOOK_URL }), 'arn:secret')).toBe(WEBHOOK_URL);
  });

  it('rejects anything else with SecretValueError that does not quote the value', () => {
    for (const value of ['not a url s3cr3t', '{"webhook": "s3cr3t"}', '{s3cr3t', 'http://hooks.slack.com/services/s3cr3t']) {
      let error: unknown;
      try {
        webhookUrlFromSecret(value, 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:slack');
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ name: 'SecretValueError' });
      expect((error as Error).message).not.toContain('s3cr3t');
    }
  });
});

// ---- the notifier (logic) -----------------------------------------------------------------------

describe('Slack notifier', () => {
  it('posts every SNS record, rendering each by its kind', async () => {
    const { fetch, calls } = scriptedFetch([{ status: 200 }]);

    const out = await notifySlack(
      deps(fetch),
      parseSnsEvent(snsEvent({ message: JSON.stringify(alarm) }, { message: JSON.stringify(event({ type: 'cutover.started' })) }, { message: 'plain words', subject: 'Hi' })),
    );

    expect(out.delivered).toBe(3);
    expect(out.records.map((r) => [r.kind, r.eventType])).toEqual([
      ['alarm', 'ALARM'],
      ['cutover', 'cutover.started'],
      ['unreadable', null],
    ]);
    expect(calls.map((c) => c.url)).toEqual([WEBHOOK_URL, WEBHOOK_URL, WEBHOOK_URL]);
    expect(calls.map((c) => c.payload.text)).toEqual([expect.stringContaining('🔴 portforge primary/health is ALARM'), '🚨 Emergency cutover started: prod', 'Hi: plain words']);
  });

  it('delivers the other records when one fails, then throws SlackDeliveryError naming the failed one', async () => {
    const { fetch, calls } = scriptedFetch([{ status: 200 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 200 }]);

    const failure = notifySlack(deps(fetch), parseSnsEvent(snsEvent({ message: '"one"', id: 'a' }, { message: '"two"', id: 'b' }, { message: '"three"', id: 'c' })));

    await expect(failure).rejects.toMatchObject({ name: 'SlackDeliveryError', message: expect.stringMatching(/^1 of 3 Slack messages not delivered: b: /) });
    expect(calls).toHaveLength(5);
    expect(calls[4]?.payload.text).toContain('three');
  });

  it('posts the plain-text version when Slack rejects the blocks', async () => {
    const { fetch, calls } = scriptedFetch([{ status: 400, body: 'invalid_blocks' }, { status: 200 }]);

    const out = await notifySlack(deps(fetch), parseSnsEvent(snsEvent({ message: JSON.stringify(event({ type: 'cutover.stage-completed', stage: 'Recover' })) })));

    expect(out.records[0]).toMatchObject({ delivered: true, attempts: 2 });
    expect(calls[1]?.payload.blocks).toBeUndefined();
    expect(calls[1]?.payload.text).toContain('☑️ Recover completed: prod\n\nStage: Recover');
  });

  it('forgets the cached webhook when Slack says it is gone (404)', async () => {
    const { fetch } = scriptedFetch([{ status: 404, body: 'no_service' }]);
    const invalidateWebhook = jest.fn();

    await expect(notifySlack(deps(fetch, { lines: [] }, { invalidateWebhook }), parseSnsEvent(snsEvent({ message: '"x"' })))).rejects.toMatchObject({
      name: 'SlackDeliveryError',
      status: 404,
      retryable: false,
    });
    expect(invalidateWebhook).toHaveBeenCalledTimes(1);
  });

  it('fails the invocation without posting when the webhook secret cannot be read', async () => {
    const { fetch } = scriptedFetch([{ status: 200 }]);
    const captured = { lines: [] as string[] };
    const secretError = Object.assign(new Error("Secrets Manager can't find the specified secret."), { name: 'ResourceNotFoundException' });

    await expect(
      notifySlack(deps(fetch, captured, { webhookUrl: () => Promise.reject(secretError) }), parseSnsEvent(snsEvent({ message: JSON.stringify(alarm) }))),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(fetch).not.toHaveBeenCalled();
    expect(JSON.parse(captured.lines[0] ?? '{}')).toEqual({ level: 'error', message: 'Could not read the Slack webhook secret', errorName: 'ResourceNotFoundException' });
  });

  it('rejects an event that is not an SNS envelope with StepContractError', () => {
    for (const bad of [{ Records: [{ EventSource: 'aws:sqs', body: '{}' }] }, {}, null]) {
      let error: unknown;
      try {
        parseSnsEvent(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ name: 'StepContractError', message: expect.stringMatching(/^Slack notifier: not an SNS event/) });
    }
  });
});

// ---- through the real handler ----------------------------------------------------------------------

describe('Slack notifier handler', () => {
  const SECRET_NAME = 'portforge/slack-webhook';
  const secrets = mockClient(SecretsManagerClient);
  let handler: (typeof import('../../functions/slack-notifier'))['handler'];
  let fetchSpy: jest.SpyInstance<ReturnType<typeof fetch>, Parameters<typeof fetch>>;
  /** What the real Powertools logger wrote: INFO/DEBUG go to stdout, WARN/ERROR to stderr. */
  let written: string[];
  let outputs: jest.SpyInstance[];
  const savedLogLevel = process.env.POWERTOOLS_LOG_LEVEL;

  beforeAll(async () => {
    process.env.SLACK_WEBHOOK_SECRET_ID = SECRET_NAME;
    // The logger reads its level when the handler module loads; the test setup's SILENT would hide everything.
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    ({ handler } = await import('../../functions/slack-notifier'));
  });

  beforeEach(() => {
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ url: WEBHOOK_URL }) });
    fetchSpy = jest.spyOn(globalThis, 'fetch');
    written = [];
    const capture = (chunk: string | Uint8Array) => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      return true;
    };
    outputs = [jest.spyOn(process.stdout, 'write').mockImplementation(capture), jest.spyOn(process.stderr, 'write').mockImplementation(capture)];
  });

  afterEach(() => {
    for (const spy of outputs) spy.mockRestore();
    fetchSpy.mockRestore();
  });

  afterAll(() => {
    secrets.restore();
    delete process.env.SLACK_WEBHOOK_SECRET_ID;
    process.env.POWERTOOLS_LOG_LEVEL = savedLogLevel;
  });

  it('posts an alarm through the handler and reads the webhook secret once across invocations', async () => {
    fetchSpy.mockImplementation(() => Promise.resolve(new Response('ok', { status: 200 })));

    const first = await handler(snsEvent({ message: JSON.stringify(alarm), subject: 'ALARM: "portforge primary/health"' }), lambdaContext('slack-notifier'));
    await handler(snsEvent({ message: JSON.stringify(event({ type: 'cutover.started' })) }), lambdaContext('slack-notifier'));

    expect(first).toMatchObject({ delivered: 1, records: [{ kind: 'alarm', delivered: true, attempts: 1 }] });
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: SECRET_NAME });
    expect(fetchSpy).toHaveBeenCalledTimes(2);
    expect(fetchSpy.mock.calls[0]?.[0]).toBe(WEBHOOK_URL);
    const posted = JSON.parse(fetchSpy.mock.calls[0]?.[1]?.body as string) as SlackMessage;
    expect(headerText(posted)).toBe('🔴 ALARM: portforge primary/health');
    expect(written.join('')).toContain('"message":"Slack message delivered"');
    expect(written.join('')).toContain('"function_name":"slack-notifier"');
    expect(written.join('')).not.toContain(WEBHOOK_PATH_SECRET);
  });

  it('writes no log line containing the webhook URL, even when Slack refuses the message', async () => {
    fetchSpy.mockImplementation(() => Promise.resolve(new Response(`invalid_blocks for ${WEBHOOK_URL}`, { status: 400 })));
    let error: Error | undefined;
    await handler(snsEvent({ message: JSON.stringify(event({ type: 'cutover.failed', stage: 'Recover' })) }), lambdaContext('slack-notifier')).catch((e: unknown) => {
      error = e as Error;
    });

    expect(error).toMatchObject({ name: 'SlackDeliveryError', status: 400 });
    expect(fetchSpy).toHaveBeenCalledTimes(2); // the blocks, then the plain-text version
    expect(written.join('')).toContain('"message":"Slack did not take the message"');
    expect(written.join('')).toContain('"message":"Slack rejected the blocks; posting the plain-text version"');
    expect(written.join('')).toContain('hooks.slack.com');
    expect(written.join('')).not.toContain(WEBHOOK_PATH_SECRET);
    expect(error?.message).not.toContain(WEBHOOK_PATH_SECRET);
  });

  it('fails an invocation that is not an SNS event', async () => {
    await expect(handler({ Records: [] }, lambdaContext('slack-notifier'))).rejects.toMatchObject({ name: 'StepContractError' });
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});
