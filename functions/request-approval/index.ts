import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { clock } from '../shared/clock';
import { perInvocationEnv } from '../shared/env';
import { defineStep } from '../shared/handler';
import { requestApproval, RequestApprovalInputSchema, type RequestApprovalDeps } from './logic';
import { awsClientConfig } from '../shared/aws-client';

const ddb = new DynamoDBClient(awsClientConfig());
const sns = new SNSClient(awsClientConfig());

const approvalDeps = perInvocationEnv(
  z.object({
    APPROVALS_TABLE_NAME: z.string().min(1),
    EVENTS_TOPIC_ARN: z.string().startsWith('arn:'),
  }),
  (env): RequestApprovalDeps => ({ ddb, sns, table: env.APPROVALS_TABLE_NAME, topicArn: env.EVENTS_TOPIC_ARN, now: () => clock.now() }),
);

export const handler = defineStep('Request approval', RequestApprovalInputSchema, (input) => requestApproval(approvalDeps(), input));
