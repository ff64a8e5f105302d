import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { z } from 'zod';
import {
  ApprovalAlreadyDecidedError,
  ApprovalExpiredError,
  ApprovalIdSchema,
  ApprovalNotFoundError,
  ApprovalTaskClosedError,
  decideApproval,
} from '../shared/approvals';
import { APPROVE_ACTION_ID, DENY_ACTION_ID, ApproverSchema, type Approver } from '../shared/contracts';
import { isTransientAwsError, errorName } from '../shared/errors';
import { SLACK_SIGNATURE_HEADER, SLACK_TIMESTAMP_HEADER, verifySlackSignature } from '../shared/slack-signature';

/**
 * The Slack interactivity endpoint (a Lambda function URL with AuthType NONE: Slack cannot sign with
 * SigV4, so the v0 HMAC signature is the authentication). Order matters:
 * signature (401) → payload (400) → approver allow-list (403) → one conditional claim of the
 * approval and SendTask* (409 already decided or replayed, 410 expired or run ended, 404 unknown id).
 * Logged: approval id, Slack user id, outcome. Never the body, the task token or the signing secret.
 */

export { ApproverSchema, type Approver };

export const DENIED_IN_SLACK = 'denied in Slack';

/** The `APPROVERS` environment variable: a JSON array of `{ slackUserId, name }`. */
export const ApproversSchema = z.array(ApproverSchema).min(1);

/** The part of Slack's `block_actions` payload the gate reads; anything else in it is ignored. */
export const BlockActionsPayloadSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({
    id: z.string().min(1),
    username: z.string().optional(),
    name: z.string().optional(),
  }),
  actions: z
    .array(
      z.object({
        action_id: z.enum([APPROVE_ACTION_ID, DENY_ACTION_ID]),
        value: ApprovalIdSchema,
      }),
    )
    .min(1),
  response_url: z.string().optional(),
});

/** A Slack message-response body. */
export interface SlackReply {
  response_type: 'in_channel' | 'ephemeral';
  replace_original: boolean;
  text: string;
}

export interface CallbackLog {
  info: (message: string, attributes: Record<string, unknown>) => void;
  warn: (message: string, attributes: Record<string, unknown>) => void;
  error: (message: string, attributes: Record<string, unknown>) => void;
}

export interface CallbackDeps {
  ddb: DynamoDBClient;
  sfn: SFNClient;
  table: string;
  now: () => Date;
  getSigningSecret: () => Promise<string>;
  approvers: readonly Approver[];
  log: CallbackLog;
  /**
   * Posts a reply to the interaction's `response_url`. Slack ignores the HTTP body of a
   * `block_actions` acknowledgement, so this is what replaces the buttons with the decision.
   * Best effort: a failure is logged and does not change the HTTP status.
   */
  respond?: (responseUrl: string, reply: SlackReply) => Promise<void>;
}

export type CallbackResult = Exclude<LambdaFunctionURLResult, string>;

function reply(statusCode: number, body: SlackReply): CallbackResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

const ephemeral = (statusCode: number, text: string): CallbackResult =>
  reply(statusCode, { response_type: 'ephemeral', replace_original: false, text });

function header(event: LambdaFunctionURLEvent, name: string): string | undefined {
  // Function URLs lower-case header names; look up case-insensitively anyway.
  const headers = event.headers ?? {};
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

function rawBodyOf(event: LambdaFunctionURLEvent): Buffer {
  if (event.body === undefined) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** Only Slack's own hooks: never post a reply to a URL the payload could point anywhere. */
export function isSlackResponseUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && (u.hostname === 'hooks.slack.com' || u.hostname === 'hooks.slack-gov.com');
  } catch {
    return false;
  }
}

function requestId(error: unknown): string | undefined {
  const id = (error as { $metadata?: { requestId?: unknown } } | null)?.$metadata?.requestId;
  return typeof id === 'string' ? id : undefined;
}

type Parsed = { ok: true; payload: z.infer<typeof BlockActionsPayloadSchema> } | { ok: false; problem: string };

/** `application/x-www-form-urlencoded` with `payload=<json>`. Problems name fields, never values. */
function parsePayload(rawBody: Buffer): Parsed {
  const json = new URLSearchParams(rawBody.toString('utf8')).get('payload');
  if (json === null) return { ok: false, problem: 'no payload field' };
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return { ok: false, problem: 'payload is not JSON' };
  }
  const parsed = BlockActionsPayloadSchema.safeParse(data);
  if (!parsed.success) {
    return { ok: false, problem: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.code}`).join('; ') };
  }
  return { ok: true, payload: parsed.data };
}

async function tell(deps: CallbackDeps, responseUrl: string | undefined, message: SlackReply, approvalId: string): Promise<void> {
  if (!deps.respond || responseUrl === undefined || !isSlackResponseUrl(responseUrl)) return;
  try {
    await deps.respond(responseUrl, message);
  } catch (error) {
    deps.log.warn('could not post the reply to Slack', { approvalId, errorName: errorName(error) });
  }
}

export async function handleSlackAction(deps: CallbackDeps, event: LambdaFunctionURLEvent): Promise<CallbackResult> {
  if (event.requestContext?.http?.method !== 'POST') return ephemeral(405, 'Use POST.');

  // 1. Authenticate before reading anything in the body.
  const rawBody = rawBodyOf(event);
  let signingSecret: string;
  try {
    signingSecret = await deps.getSigningSecret();
  } catch (error) {
    deps.log.error('could not read the Slack signing secret', { outcome: 'error', errorName: errorName(error) });
    return ephemeral(500, 'The approval endpoint is misconfigured; nothing was changed.');
  }
  const signature = verifySlackSignature({
    signingSecret,
    timestampHeader: header(event, SLACK_TIMESTAMP_HEADER),
    signatureHeader: header(event, SLACK_SIGNATURE_HEADER),
    rawBody,
    nowSeconds: Math.floor(deps.now().getTime() / 1000),
  });
  if (!signature.ok) {
    deps.log.warn('slack request rejected', { outcome: 'unauthenticated', reason: signature.reason });
    return ephemeral(401, 'Invalid request signature.');
  }

  // 2. Parse.
  const parsed = parsePayload(rawBody);
  if (!parsed.ok) {
    deps.log.warn('slack request rejected', { outcome: 'malformed', problem: parsed.problem });
    return ephemeral(400, 'Malformed Slack action payload; nothing was changed.');
  }
  const { user, actions, response_url: responseUrl } = parsed.payload;
  const action = actions[0];
  if (!action) return ephemeral(400, 'Malformed Slack action payload; nothing was changed.');
  const approvalId = action.value;
  const approve = action.action_id === APPROVE_ACTION_ID;

  // 3. Authorise: only listed approvers, by Slack user id (names can be edited; ids cannot).
  const approver = deps.approvers.find((a) => a.slackUserId === user.id);
  if (!approver) {
    deps.log.warn('approval refused', { approvalId, userId: user.id, outcome: 'forbidden' });
    const refusal = `<@${user.id}> is not on the approver list for this cutover; nothing was changed.`;
    await tell(deps, responseUrl, { response_type: 'ephemeral', replace_original: false, text: refusal }, approvalId);
    return ephemeral(403, refusal);
  }

  // 4. Decide, at most once.
  try {
    const decided = await decideApproval(
      { ddb: deps.ddb, sfn: deps.sfn, table: deps.table, now: deps.now },
      approve ? { approvalId, approve: true, by: approver.name } : { approvalId, approve: false, by: approver.name, reason: DENIED_IN_SLACK },
    );
    deps.log.info('approval decided', { approvalId, userId: user.id, outcome: decided.status, executionId: decided.executionId });
    const text = approve
      ? `✅ Approved by ${approver.name} at ${decided.at}: the ${decided.environment} cutover continues past the approval gate.`
      : `❌ Denied by ${approver.name} at ${decided.at} (${DENIED_IN_SLACK}): the ${decided.environment} cutover stops at the approval gate.`;
    const body: SlackReply = { response_type: 'in_channel', replace_original: true, text };
    await tell(deps, responseUrl, body, approvalId);
    return reply(200, body);
  } catch (error) {
    const [status, outcome, text] = refusal(error);
    const log = status >= 500 ? deps.log.error : deps.log.warn;
    log(status >= 500 ? 'approval failed' : 'approval refused', {
      approvalId,
      userId: user.id,
      outcome,
      errorName: errorName(error),
      ...(status >= 500 ? { requestId: requestId(error) } : {}),
    });
    await tell(deps, responseUrl, { response_type: 'ephemeral', replace_original: false, text }, approvalId);
    return ephemeral(status, text);
  }
}

/** HTTP status, log outcome and the text the clicker sees. Messages of the named errors hold no token. */
function refusal(error: unknown): [number, string, string] {
  if (error instanceof ApprovalAlreadyDecidedError) return [409, 'already-decided', error.message];
  if (error instanceof ApprovalExpiredError) return [410, 'expired', error.message];
  if (error instanceof ApprovalTaskClosedError) return [410, 'task-closed', error.message];
  if (error instanceof ApprovalNotFoundError) return [404, 'not-found', error.message];
  if (isTransientAwsError(error)) {
    return [503, 'transient', 'AWS was busy and the decision did not reach the run; nothing was changed. Click again in a moment.'];
  }
  return [500, 'error', 'The decision could not be recorded; the run is still waiting. Use `cutover approve|deny` or check the approval-callback logs.'];
}
