import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { clock } from '../shared/clock';
import { perInvocationEnv } from '../shared/env';
import { logger } from '../shared/logger';
import { probe } from './logic';
import { awsClientConfig } from '../shared/aws-client';

const cw = new CloudWatchClient(awsClientConfig());

const probeTarget = perInvocationEnv(
  z.object({
    ENVIRONMENT: z.string().min(1),
    PRIMARY_HEALTH_URL: z.url(),
    PROBE_TIMEOUT_MS: z.coerce.number().int().positive(),
  }),
  (env) => ({ environment: env.ENVIRONMENT, url: env.PRIMARY_HEALTH_URL, timeoutMs: env.PROBE_TIMEOUT_MS }),
);

/** Scheduled every minute by EventBridge; the scheduled event itself carries nothing we need. */
export const handler = middy(async () => {
  const result = await probe({ cw, fetch, now: () => clock.now() }, probeTarget());
  logger.info('primary probed', { healthy: result.healthy, detail: result.detail, latencyMs: result.latencyMs });
  return result;
}).use(injectLambdaContext(logger, { clearState: true }));
