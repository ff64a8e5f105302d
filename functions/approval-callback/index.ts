import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { z } from 'zod';
import { clock } from '../shared/clock';
import { perInvocationEnv } from '../shared/env';
import { logger } from '../shared/logger';
import { cachedSecret, SecretIdSchema } from '../shared/secrets';
import { ApproversSchema, handleSlackAction, type CallbackDeps, type CallbackResult, type SlackReply } from './logic';
import { awsClientConfig } from '../shared/aws-client';

const EnvSchema = z.object({
  APPROVALS_TABLE_NAME: z.string().min(1),
  /** The signing secret's name. */
  SLACK_SIGNING_SECRET_ID: SecretIdSchema,
  APPROVERS: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'APPROVERS must be a JSON array of {slackUserId, name}' });
        return z.NEVER;
      }
    })
    .pipe(ApproversSchema),
});

const ddb = new DynamoDBClient(awsClientConfig());
const sfn = new SFNClient(awsClientConfig());
const secrets = new SecretsManagerClient(awsClientConfig());

/** Slack's response_url: replaces the approval message's buttons with the decision. */
async function respond(responseUrl: string, message: SlackReply): Promise<void> {
  const res = await fetch(responseUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(message),
    // Slack wants the acknowledgement within 3 s; do not let a slow hook hold it.
    signal: AbortSignal.timeout(1500),
  });
  if (!res.ok) throw new Error(`response_url answered ${res.status}`);
}

/** Built once per environment: the signing secret stays cached for a few minutes (a rotated secret is picked up). */
const callbackDeps = perInvocationEnv(EnvSchema, (env): CallbackDeps => {
  const signingSecret = cachedSecret(secrets, env.SLACK_SIGNING_SECRET_ID);
  return {
    ddb,
    sfn,
    table: env.APPROVALS_TABLE_NAME,
    now: () => clock.now(),
    // Secrets pasted in the console often end with a newline, which is not part of Slack's secret.
    getSigningSecret: async () => (await signingSecret()).trim(),
    approvers: env.APPROVERS,
    log: {
      info: (message, attributes) => logger.info(message, attributes),
      warn: (message, attributes) => logger.warn(message, attributes),
      error: (message, attributes) => logger.error(message, attributes),
    },
    respond,
  };
});

/**
 * Lambda function URL (AuthType NONE): the Slack signature check inside is the authentication.
 * `logEvent: false` even if POWERTOOLS_LOGGER_LOG_EVENT is set: the event holds the signed body.
 */
export const handler = middy((event: LambdaFunctionURLEvent, _context: Context): Promise<CallbackResult> => handleSlackAction(callbackDeps(), event)).use(
  injectLambdaContext(logger, { clearState: true, logEvent: false }),
);
