import { z } from 'zod';
import { StepContractError } from '../shared/errors';
import { classify, renderNotification, type Notification, type RenderOptions } from './render';
import { toPlainText } from './plain-text';
import { DEFAULT_RETRY_POLICY, SlackDeliveryError, postToSlack, redact, webhookHost, type PostDeps, type RetryPolicy, type WebhookPayload } from './webhook';
import type { SlackMessage } from './format';

export { renderMessage, renderNotification, classify, type NotificationInput, type RenderOptions } from './render';
export { toPlainText } from './plain-text';
export { SlackDeliveryError, postToSlack, webhookUrlFromSecret, DEFAULT_RETRY_POLICY, type Fetch, type Sleep, type NotifierLog } from './webhook';
export type { SlackMessage } from './format';

/** The SNS → Lambda envelope (only what the notifier reads). Message bodies are validated later, per record. */
export const SnsEventSchema = z.object({
  Records: z
    .array(
      z.object({
        EventSource: z.literal('aws:sns'),
        Sns: z.object({
          MessageId: z.string().min(1),
          TopicArn: z.string(),
          Subject: z.string().nullish(),
          Message: z.string(),
          Timestamp: z.string().optional(),
        }),
      }),
    )
    .min(1),
});
export type SnsEnvelope = z.infer<typeof SnsEventSchema>;
type SnsRecord = SnsEnvelope['Records'][number];

/** A wiring bug (the function was invoked by something other than SNS): fail loudly. */
export function parseSnsEvent(event: unknown): SnsEnvelope {
  const parsed = SnsEventSchema.safeParse(event);
  if (!parsed.success) throw new StepContractError(`Slack notifier: not an SNS event: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export interface NotifierDeps extends PostDeps {
  /** The webhook URL (from the cached secret). */
  webhookUrl: () => Promise<string>;
  /** Called when Slack says the webhook is gone (403/404/410), so the next invocation re-reads the secret. */
  invalidateWebhook?: () => void;
  consoleRegion?: string;
  retry?: RetryPolicy;
}

export interface RecordResult {
  messageId: string;
  kind: Notification['kind'];
  eventType: string | null;
  delivered: boolean;
  attempts: number;
  /** Why it was not delivered (status and Slack's reason; never the URL). */
  error?: string;
  status?: number | null;
  retryable?: boolean;
}

export interface NotifierResult {
  delivered: number;
  records: RecordResult[];
}

/** Slack statuses that mean the webhook itself is no longer valid (revoked, rotated, channel archived). */
const WEBHOOK_GONE = new Set([403, 404, 410]);

/** Posts the message; if Slack rejects the blocks (400), posts the plain-text version once so the news still arrives. */
async function deliver(deps: NotifierDeps, url: string, message: SlackMessage): Promise<{ attempts: number }> {
  const policy = deps.retry ?? DEFAULT_RETRY_POLICY;
  try {
    return await postToSlack(deps, url, message, policy);
  } catch (error) {
    if (!(error instanceof SlackDeliveryError) || error.status !== 400 || message.blocks.length === 0) throw error;
    deps.log.warn('Slack rejected the blocks; posting the plain-text version', { host: webhookHost(url), status: error.status });
    const plain: WebhookPayload = { text: toPlainText(message).slice(0, 3000) };
    const second = await postToSlack(deps, url, plain, policy);
    return { attempts: error.attempts + second.attempts };
  }
}

function describe(notification: Notification): { kind: Notification['kind']; eventType: string | null } {
  return { kind: notification.kind, eventType: notification.kind === 'cutover' ? notification.event.type : notification.kind === 'alarm' ? notification.alarm.NewStateValue : null };
}

async function notifyRecord(deps: NotifierDeps, url: string, record: SnsRecord): Promise<RecordResult> {
  const { MessageId: messageId, TopicArn: topicArn } = record.Sns;
  const notification = classify({ subject: record.Sns.Subject, message: record.Sns.Message });
  const what = describe(notification);
  if (notification.kind === 'unreadable') {
    deps.log.warn('Unreadable SNS message; posting it as received', { messageId, topicArn, problem: notification.problem });
  }
  const message = renderNotification(notification, deps.consoleRegion ? { consoleRegion: deps.consoleRegion } : ({} satisfies RenderOptions));
  try {
    const { attempts } = await deliver(deps, url, message);
    deps.log.info('Slack message delivered', { messageId, ...what, attempts, host: webhookHost(url) });
    return { messageId, ...what, delivered: true, attempts };
  } catch (error) {
    if (error instanceof SlackDeliveryError) {
      if (error.status !== null && WEBHOOK_GONE.has(error.status)) deps.invalidateWebhook?.();
      return { messageId, ...what, delivered: false, attempts: error.attempts, error: error.message, status: error.status, retryable: error.retryable };
    }
    const detail = redact(error instanceof Error ? `${error.name}: ${error.message}` : String(error), url);
    deps.log.error('Slack delivery failed unexpectedly', { messageId, ...what, errorName: error instanceof Error ? error.name : typeof error });
    return { messageId, ...what, delivered: false, attempts: 0, error: detail, retryable: true };
  }
}

/**
 * Renders and posts every SNS record to Slack. Records are independent: one that cannot be read is
 * posted as received, one that cannot be delivered does not stop the others. Throws SlackDeliveryError
 * at the end when any delivery failed, so SNS/Lambda's async retry can try later. This never affects
 * the cutover: the state machine publishes to SNS and never waits for Slack.
 */
export async function notifySlack(deps: NotifierDeps, event: SnsEnvelope): Promise<NotifierResult> {
  let url: string;
  try {
    url = await deps.webhookUrl();
  } catch (error) {
    deps.log.error('Could not read the Slack webhook secret', { errorName: error instanceof Error ? error.name : typeof error });
    throw error;
  }

  const records: RecordResult[] = [];
  for (const record of event.Records) records.push(await notifyRecord(deps, url, record));

  const failed = records.filter((r) => !r.delivered);
  if (failed.length > 0) {
    throw new SlackDeliveryError(
      `${failed.length} of ${records.length} Slack message${records.length === 1 ? '' : 's'} not delivered: ${failed.map((r) => `${r.messageId}: ${r.error ?? 'unknown'}`).join('; ')}`,
      failed.length === 1 ? (failed[0]?.status ?? null) : null,
      Math.max(...failed.map((r) => r.attempts)),
      failed.some((r) => r.retryable !== false),
    );
  }
  return { delivered: records.length, records };
}
