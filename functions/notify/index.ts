import { SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { clock } from '../shared/clock';
import { perInvocationEnv } from '../shared/env';
import { defineStep } from '../shared/handler';
import { NotifyInputSchema, publishEvent, type NotifyDeps } from './logic';
import { awsClientConfig } from '../shared/aws-client';

const sns = new SNSClient(awsClientConfig());

const notifyDeps = perInvocationEnv(
  z.object({ EVENTS_TOPIC_ARN: z.string().startsWith('arn:') }),
  (env): NotifyDeps => ({ sns, topicArn: env.EVENTS_TOPIC_ARN, now: () => clock.now() }),
);

export const handler = defineStep('Notify', NotifyInputSchema, (input) => publishEvent(notifyDeps(), input));
