import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { clock } from '../shared/clock';
import { readEnv } from '../shared/env';
import { defineStep } from '../shared/handler';
import { acquireLock, LockInputSchema, releaseLock, type LockDeps } from './logic';
import { awsClientConfig, lambdaCallTimeouts } from '../shared/aws-client';
import { IAMClient } from '../shared/iam-client';
import { roleArnFromEnv } from '../shared/permissions';

const env = readEnv(
  z.object({
    LOCK_TABLE_NAME: z.string().min(1),
    LOCK_TTL_SECONDS: z.coerce.number().int().positive(),
  }),
);

const deps: LockDeps = {
  ddb: new DynamoDBClient(awsClientConfig()),
  tableName: env.LOCK_TABLE_NAME,
  ttlSeconds: env.LOCK_TTL_SECONDS,
  now: () => clock.now(),
  // The role ARN is read per invocation, and only by a dry run.
  permissions: {
    iam: new IAMClient({ requestTimeoutMs: lambdaCallTimeouts().requestTimeoutMs }),
    get roleArn() {
      return roleArnFromEnv();
    },
  },
};

export const handler = defineStep('Cutover lock', LockInputSchema, (input) =>
  input.action === 'acquire' ? acquireLock(deps, input) : releaseLock(deps, input),
);
