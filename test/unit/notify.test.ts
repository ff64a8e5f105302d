import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { publishEvent, subject } from '../../functions/notify/logic';

const sns = mockClient(SNSClient);
const input = { mode: 'emergency' as const, dryRun: false, reason: 'Seoul down', requestedBy: 'sre', trigger: { type: 'manual' as const } };

beforeEach(() => sns.reset());

describe('Notify', () => {
  it('publishes one structured cutover event with filterable attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const out = await publishEvent(
      { sns: new SNSClient({}), topicArn: 'arn:aws:sns:ap-northeast-1:123456789012:events', now: () => new Date('2026-11-27T03:00:00Z') },
      { type: 'cutover.started', environment: 'prod', executionId: 'exec-1', input },
    );
    expect(out).toEqual({ step: 'Notify', type: 'cutover.started', messageId: 'm-1' });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: 'arn:aws:sns:ap-northeast-1:123456789012:events',
      Subject: '[dr-cutover] prod started',
      MessageAttributes: {
        eventType: { DataType: 'String', StringValue: 'cutover.started' },
        environment: { DataType: 'String', StringValue: 'prod' },
      },
    });
    const message = JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}') as unknown;
    expect(message).toEqual({ type: 'cutover.started', environment: 'prod', executionId: 'exec-1', input, at: '2026-11-27T03:00:00.000Z' });
  });

  it('keeps SNS subjects ASCII and within 100 characters', () => {
    const s = subject({ type: 'cutover.stage-completed', environment: 'prod', executionId: 'e', at: '', input: { ...input, dryRun: true }, stage: `Recover ${'→'.repeat(200)}` });
    expect(s.startsWith('[dr-cutover dry run] prod stage-completed: Recover ?')).toBe(true);
    expect(s.length).toBe(100);
  });
});
