import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { clock } from '../shared/clock';
import { perInvocationEnv } from '../shared/env';
import { StepContractError } from '../shared/errors';
import { logger } from '../shared/logger';
import { closeEndedExecution, ExecutionEndedEventSchema, type ExecutionEndedDeps } from './logic';
import { awsClientConfig } from '../shared/aws-client';

const ddb = new DynamoDBClient(awsClientConfig());
const sns = new SNSClient(awsClientConfig());

const endedDeps = perInvocationEnv(
  z.object({
    LOCK_TABLE_NAME: z.string().min(1),
    EVENTS_TOPIC_ARN: z.string().startsWith('arn:'),
    ENVIRONMENT: z.string().min(1),
  }),
  (env): ExecutionEndedDeps => ({
    ddb,
    sns,
    lockTable: env.LOCK_TABLE_NAME,
    topicArn: env.EVENTS_TOPIC_ARN,
    environment: env.ENVIRONMENT,
    now: () => clock.now(),
  }),
);

/** Invoked by EventBridge when a cutover execution times out or is stopped. */
export const handler = middy(async (event: unknown) => {
  const deps = endedDeps();
  const parsed = ExecutionEndedEventSchema.safeParse(event);
  if (!parsed.success) throw new StepContractError(`not an execution status change: ${z.prettifyError(parsed.error)}`);
  const result = await closeEndedExecution(deps, parsed.data);
  logger.info('closed an execution that ended outside its failure path', { executionArn: parsed.data.detail.executionArn, ...result });
  return result;
}).use(injectLambdaContext(logger, { clearState: true, logEvent: false }));
