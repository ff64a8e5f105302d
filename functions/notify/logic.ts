import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { ApprovalRequestSchema, CUTOVER_EVENT_TYPES, CutoverReportSchema, ValidatedInputSchema, type CutoverEvent } from '../shared/contracts';

export const NotifyInputSchema = z.object({
  type: z.enum(CUTOVER_EVENT_TYPES),
  environment: z.string(),
  executionId: z.string(),
  input: ValidatedInputSchema,
  stage: z.string().optional(),
  report: CutoverReportSchema.optional(),
  approval: ApprovalRequestSchema.optional(),
});
export type NotifyInput = z.infer<typeof NotifyInputSchema>;

export interface NotifyDeps {
  sns: SNSClient;
  topicArn: string;
  now: () => Date;
}

export function toEvent(input: NotifyInput, at: Date): CutoverEvent {
  return { ...input, at: at.toISOString() };
}

/** SNS subjects are ASCII, at most 100 characters. */
export function subject(event: CutoverEvent): string {
  const prefix = event.input.dryRun ? '[dr-cutover dry run]' : '[dr-cutover]';
  const text = `${prefix} ${event.environment} ${event.type.replace('cutover.', '')}${event.stage ? `: ${event.stage}` : ''}`;
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
}

/** Publishes one structured cutover event; the Slack notifier renders it. */
export async function publishEvent(deps: NotifyDeps, input: NotifyInput) {
  const event = toEvent(input, deps.now());
  const out = await deps.sns.send(
    new PublishCommand({
      TopicArn: deps.topicArn,
      Subject: subject(event),
      Message: JSON.stringify(event),
      MessageAttributes: {
        eventType: { DataType: 'String', StringValue: event.type },
        environment: { DataType: 'String', StringValue: event.environment },
      },
    }),
  );
  return { step: 'Notify', type: event.type, messageId: out.MessageId ?? null };
}
