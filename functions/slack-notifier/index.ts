import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import type { Context, SNSEvent } from 'aws-lambda';
import { z } from 'zod';
import { perInvocationEnv } from '../shared/env';
import { logger } from '../shared/logger';
import { CachedSecret, SecretIdSchema } from '../shared/secrets';
import { notifySlack, parseSnsEvent, type NotifierDeps, type NotifierResult } from './logic';
import { REGION_PATTERN } from './render';
import { webhookUrlFromSecret } from './webhook';
import { awsClientConfig } from '../shared/aws-client';

/** Module scope: warm invocations reuse the client. */
const secrets = new SecretsManagerClient(awsClientConfig());

/** Built once per environment: warm invocations reuse the cached webhook URL (5 min TTL). */
const notifierDeps = perInvocationEnv(
  z.object({
    /** The webhook secret's name. */
    SLACK_WEBHOOK_SECRET_ID: SecretIdSchema,
    /** Region for console links when an ARN names none. */
    CONSOLE_REGION: z.string().regex(REGION_PATTERN).optional(),
  }),
  (env): NotifierDeps => {
    const webhookSecret = new CachedSecret(secrets, env.SLACK_WEBHOOK_SECRET_ID);
    return {
      webhookUrl: async () => webhookUrlFromSecret(await webhookSecret.value(), env.SLACK_WEBHOOK_SECRET_ID),
      invalidateWebhook: () => webhookSecret.clear(),
      fetch: (url, init) => fetch(url, init),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      now: () => Date.now(),
      log: logger,
      ...(env.CONSOLE_REGION ? { consoleRegion: env.CONSOLE_REGION } : {}),
    };
  },
);

/** SNS → Lambda: renders CloudWatch alarms and cutover events as Slack messages and posts them to the webhook. */
export const handler = middy<SNSEvent, NotifierResult, Error, Context>((event: SNSEvent) => notifySlack(notifierDeps(), parseSnsEvent(event))).use(
  injectLambdaContext(logger, { clearState: true }),
);
