import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { CutoverEventSchema, type CutoverEvent } from '../shared/contracts';

/** A cutover event as the state machine hands it over: everything but the time it is published. */
export const NotifyInputSchema = CutoverEventSchema.omit({ at: true });
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
