import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { clock } from '../shared/clock';
import { perInvocationEnv } from '../shared/env';
import { defineStep } from '../shared/handler';
import { acquireLock, LockInputSchema, releaseLock, type LockDeps } from './logic';
import { awsClientConfig } from '../shared/aws-client';
import { IAMClient } from '@aws-sdk/client-iam';
import { stepPermissions } from '../shared/permissions';

const ddb = new DynamoDBClient(awsClientConfig());
const permissions = stepPermissions(new IAMClient(awsClientConfig()));

const lockDeps = perInvocationEnv(
  z.object({
    LOCK_TABLE_NAME: z.string().min(1),
    LOCK_TTL_SECONDS: z.coerce.number().int().positive(),
  }),
  (env): LockDeps => ({
    ddb,
    tableName: env.LOCK_TABLE_NAME,
    ttlSeconds: env.LOCK_TTL_SECONDS,
    now: () => clock.now(),
    permissions,
  }),
);

export const handler = defineStep('Cutover lock', LockInputSchema, (input) => {
  const deps = lockDeps();
  return input.action === 'acquire' ? acquireLock(deps, input) : releaseLock(deps, input);
});
