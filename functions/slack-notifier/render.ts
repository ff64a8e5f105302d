import type { ActionsBlock, Button, KnownBlock, MrkdwnElement } from '@slack/types';
import { z } from 'zod';
import { rpoField } from '../shared/rpo';
import {
  APPROVE_ACTION_ID,
  CUTOVER_EVENT_TYPES,
  CutoverEventSchema,
  DENY_ACTION_ID,
  type ApprovalRequest,
  type Change,
  type CutoverEvent,
  type CutoverReport,
  type StepTiming,
  AWS_REGION_PATTERN,
} from '../shared/contracts';
import {
  LIMITS,
  bulletList,
  code,
  codeBlock,
  context,
  duration,
  esc,
  field,
  fields,
  header,
  link,
  section,
  slackTime,
  truncate,
  withinLimits,
  type SlackMessage,
} from './format';

export type { SlackMessage } from './format';

// ---- input ---------------------------------------------------------------------

/** The CloudWatch alarm notification SNS delivers as the message body (only the fields we show). */
export const AlarmNotificationSchema = z.object({
  AlarmName: z.string().min(1),
  AlarmDescription: z.string().nullish(),
  NewStateValue: z.string().min(1),
  OldStateValue: z.string().nullish(),
  NewStateReason: z.string().nullish(),
  StateChangeTime: z.string().nullish(),
  /** The Region's long name, e.g. "Asia Pacific (Tokyo)". */
  Region: z.string().nullish(),
  AlarmArn: z.string().nullish(),
});
export type AlarmNotification = z.infer<typeof AlarmNotificationSchema>;

/** One SNS message as the notifier (or the drill) sees it: `message` is the raw body or its parsed JSON. */
export interface NotificationInput {
  subject?: string | null;
  message: unknown;
}

export interface RenderOptions {
  /** Region for console links when an ARN does not name one (CONSOLE_REGION). */
  consoleRegion?: string;
}

export type Notification =
  | { kind: 'alarm'; alarm: AlarmNotification }
  | { kind: 'cutover'; event: CutoverEvent }
  | { kind: 'unreadable'; subject: string | null; raw: string; problem: string };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function rawText(message: unknown): string {
  if (typeof message === 'string') return message;
  try {
    return JSON.stringify(message) ?? String(message);
  } catch {
    return String(message);
  }
}

/** Works out what an SNS message is. Never throws: anything unexpected is `unreadable`, with the reason. */
export function classify(input: NotificationInput): Notification {
  const subject = input.subject ?? null;
  const raw = rawText(input.message);
  let body: unknown = input.message;
  if (typeof input.message === 'string') {
    try {
      body = JSON.parse(input.message);
    } catch {
      return { kind: 'unreadable', subject, raw, problem: 'the message is not JSON' };
    }
  }
  if (!isRecord(body)) return { kind: 'unreadable', subject, raw, problem: 'the message is not a JSON object' };
  if ('AlarmName' in body) {
    const alarm = AlarmNotificationSchema.safeParse(body);
    return alarm.success
      ? { kind: 'alarm', alarm: alarm.data }
      : { kind: 'unreadable', subject, raw, problem: 'the message looks like a CloudWatch alarm but misses its state fields' };
  }
  if (typeof body.type === 'string') {
    const type = body.type;
    if (!(CUTOVER_EVENT_TYPES as readonly string[]).includes(type)) {
      return { kind: 'unreadable', subject, raw, problem: `unknown event type "${truncate(type, 60)}"` };
    }
    const event = CutoverEventSchema.safeParse(body);
    return event.success
      ? { kind: 'cutover', event: event.data }
      : { kind: 'unreadable', subject, raw, problem: `the ${type} event does not match its contract` };
  }
  return { kind: 'unreadable', subject, raw, problem: 'the message is neither a CloudWatch alarm nor a cutover event' };
}

// ---- console links ---------------------------------------------------------------

export { AWS_REGION_PATTERN as REGION_PATTERN };

const CONSOLE_DOMAINS: Record<string, string> = {
  aws: 'console.aws.amazon.com',
  'aws-cn': 'console.amazonaws.cn',
  'aws-us-gov': 'console.amazonaws-us-gov.com',
};

/** Partition and Region of an ARN, or the fallback Region in the `aws` partition. */
export function arnRegion(arn: string | null | undefined, fallbackRegion?: string): { partition: string; region: string } | null {
  const parts = (arn ?? '').split(':');
  if (parts[0] === 'arn' && parts[1] && parts[3] && AWS_REGION_PATTERN.test(parts[3]) && CONSOLE_DOMAINS[parts[1]]) {
    return { partition: parts[1], region: parts[3] };
  }
  return fallbackRegion && AWS_REGION_PATTERN.test(fallbackRegion) ? { partition: 'aws', region: fallbackRegion } : null;
}

function consoleBase(where: { partition: string; region: string }): string {
  const domain = CONSOLE_DOMAINS[where.partition] ?? CONSOLE_DOMAINS.aws ?? 'console.aws.amazon.com';
  return `https://${where.region}.${domain}`;
}

export function alarmConsoleUrl(alarm: AlarmNotification, fallbackRegion?: string): string | null {
  const where = arnRegion(alarm.AlarmArn, fallbackRegion);
  if (!where) return null;
  return `${consoleBase(where)}/cloudwatch/home?region=${where.region}#alarmsV2:alarm/${encodeURIComponent(alarm.AlarmName)}`;
}

/** The Step Functions console page of an execution; only for an execution ARN. */
export function executionConsoleUrl(executionArn: string): string | null {
  if (!/^arn:[\w-]+:states:[^:]+:\d{12}:execution:[^:]+:[^:]+$/.test(executionArn)) return null;
  const where = arnRegion(executionArn);
  if (!where) return null;
  return `${consoleBase(where)}/states/home?region=${where.region}#/v2/executions/details/${encodeURI(executionArn)}`;
}

/** The execution's name (last ARN segment), or the id itself. */
function executionName(executionId: string): string {
  return executionId.startsWith('arn:') ? (executionId.split(':').pop() ?? executionId) : executionId;
}

// ---- alarms ----------------------------------------------------------------------

const STATE_EMOJI: Record<string, string> = { ALARM: '🔴', OK: '🟢', INSUFFICIENT_DATA: '⚪' };
const stateLabel = (state: string | null | undefined): string => (state ? `${STATE_EMOJI[state] ?? '❔'} ${state}` : '❔ unknown');

export function renderAlarm(alarm: AlarmNotification, options: RenderOptions = {}): SlackMessage {
  const url = alarmConsoleUrl(alarm, options.consoleRegion);
  const where = arnRegion(alarm.AlarmArn, options.consoleRegion);
  const region = [alarm.Region, where?.region].filter((v): v is string => Boolean(v)).join(' · ') || 'unknown';
  const change = `${stateLabel(alarm.OldStateValue)} → ${stateLabel(alarm.NewStateValue)}`;
  const blocks: KnownBlock[] = [
    header(`${STATE_EMOJI[alarm.NewStateValue] ?? '❔'} ${alarm.NewStateValue}: ${alarm.AlarmName}`),
    ...(alarm.AlarmDescription ? [section(esc(truncate(alarm.AlarmDescription, LIMITS.sectionText - 100)))] : []),
    ...fields([
      field('Alarm', code(alarm.AlarmName)),
      field('State change', change),
      field('Region', esc(region)),
      field('Since', alarm.StateChangeTime ? slackTime(alarm.StateChangeTime) : 'unknown'),
    ]),
    section(`*Reason*\n${esc(truncate(alarm.NewStateReason ?? 'No reason given.', LIMITS.sectionText - 100))}`),
    context([url ? link(url, 'Open the alarm in CloudWatch') : 'CloudWatch alarm (no console link: the alarm ARN names no Region)']),
  ];
  const text = `${STATE_EMOJI[alarm.NewStateValue] ?? '❔'} ${alarm.AlarmName} is ${alarm.NewStateValue} (was ${alarm.OldStateValue ?? 'unknown'}): ${alarm.NewStateReason ?? ''}`;
  return withinLimits({ text: esc(truncate(text.trim(), 300)), blocks });
}

// ---- cutover events --------------------------------------------------------------------

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

function triggerText(event: CutoverEvent): string {
  const trigger = event.input.trigger;
  return trigger.type === 'alarm' ? `alarm ${code(trigger.alarmName)} at ${slackTime(trigger.time)}` : 'manual';
}

function runFields(event: CutoverEvent): MrkdwnElement[] {
  return [
    field('Mode', event.input.mode),
    field('Dry run', yesNo(event.input.dryRun)),
    field('Requested by', esc(event.input.requestedBy)),
    field('Trigger', triggerText(event)),
  ];
}

function eventContext(event: CutoverEvent): KnownBlock {
  const url = executionConsoleUrl(event.executionId);
  const name = executionName(event.executionId);
  return context([
    `Execution ${url ? link(url, name) : code(name)}`,
    `Environment ${code(event.environment)}`,
    slackTime(event.at),
  ]);
}

function showValue(value: unknown): string {
  if (value === undefined) return '';
  return code(truncate(rawText(value), LIMITS.value));
}

export function changeLine(change: Change): string {
  const before = showValue(change.before);
  const after = showValue(change.after);
  const diff = before || after ? ` (${before || '∅'} → ${after || '∅'})` : '';
  return `${code(change.resource)}: ${esc(change.action)}${diff}`;
}

export function stepLine(step: StepTiming): string {
  const outcomes = step.outcomes.length > 0 ? ` (${step.outcomes.map(esc).join(', ')})` : '';
  return `${esc(step.step)}: ${duration(step.durationSeconds)}${outcomes}`;
}

function stepsSection(title: string, steps: StepTiming[]): KnownBlock[] {
  return steps.length > 0 ? [section(`*${title}*\n${bulletList(steps.map(stepLine))}`)] : [];
}

function changesSection(title: string, changes: Change[], empty?: string): KnownBlock[] {
  if (changes.length === 0) return empty ? [section(`*${title}*\n${empty}`)] : [];
  return [section(`*${title}* (${changes.length})\n${bulletList(changes.map(changeLine))}`)];
}

const reasonSection = (event: CutoverEvent) => section(`*Reason*\n${esc(truncate(event.input.reason, LIMITS.sectionText - 100))}`);

const runLabel = (event: CutoverEvent) => (event.input.dryRun ? 'Dry run' : event.input.mode === 'planned' ? 'Planned cutover' : 'Emergency cutover');

function renderStarted(event: CutoverEvent) {
  const icon = event.input.dryRun ? '🧪' : event.input.mode === 'emergency' ? '🚨' : '🛫';
  return {
    title: `${icon} ${runLabel(event)} started: ${event.environment}`,
    blocks: [...fields(runFields(event)), reasonSection(event)],
  };
}

function renderStageCompleted(event: CutoverEvent) {
  const stage = event.stage ?? 'A stage';
  return {
    title: `☑️ ${stage} completed: ${event.environment}${event.input.dryRun ? ' (dry run)' : ''}`,
    blocks: fields([field('Stage', esc(stage)), field('Mode', event.input.mode), field('Dry run', yesNo(event.input.dryRun)), field('Requested by', esc(event.input.requestedBy))]),
  };
}

function approvalButtons(event: CutoverEvent, approval: ApprovalRequest): ActionsBlock {
  const what = event.input.dryRun
    ? `This lets the *dry run* of ${code(event.environment)} continue. It changes nothing.`
    : `This lets the ${event.input.mode} cutover of ${code(event.environment)} continue: the standby database is promoted and traffic is switched to the standby Region. Promotion cannot be undone.`;
  const approve: Button = {
    type: 'button',
    action_id: APPROVE_ACTION_ID,
    value: approval.approvalId,
    style: 'primary',
    text: { type: 'plain_text', text: 'Approve', emoji: true },
    confirm: {
      title: { type: 'plain_text', text: 'Approve the cutover?' },
      text: { type: 'mrkdwn', text: truncate(what, 300) },
      confirm: { type: 'plain_text', text: 'Approve' },
      deny: { type: 'plain_text', text: 'Cancel' },
      style: 'primary',
    },
  };
  const deny: Button = {
    type: 'button',
    action_id: DENY_ACTION_ID,
    value: approval.approvalId,
    style: 'danger',
    text: { type: 'plain_text', text: 'Deny', emoji: true },
  };
  return { type: 'actions', block_id: 'cutover_approval', elements: [approve, deny] };
}

function renderApprovalNeeded(event: CutoverEvent) {
  const approval = event.approval;
  const blocks: KnownBlock[] = [
    section(`${event.input.dryRun ? 'A dry run' : event.input.mode === 'emergency' ? 'An emergency cutover' : 'A planned cutover'} of ${code(event.environment)} is waiting for approval before any change is made.`),
    ...fields([
      ...runFields(event),
      field('Who may approve', approval && approval.approvers.length > 0 ? approval.approvers.map(esc).join(', ') : 'see the deployed approval config'),
      field('Expires', approval ? slackTime(approval.expiresAt) : 'unknown'),
    ]),
    reasonSection(event),
  ];
  if (approval) blocks.push(approvalButtons(event, approval));
  else blocks.push(section('⚠️ The event carries no approval id, so there are no buttons: answer from the Step Functions console or with the `cutover` CLI.'));
  return { title: `✋ Approval needed: ${runLabel(event).toLowerCase()} of ${event.environment}`, blocks };
}

function renderFailed(event: CutoverEvent) {
  const report = event.report;
  const failure = report?.failure ?? null;
  const title = `❌ ${event.input.dryRun ? 'Dry run' : 'Cutover'} failed: ${event.environment}`;
  if (!report) {
    return {
      title,
      blocks: [
        ...fields([field('Failed stage', esc(event.stage ?? 'unknown')), ...runFields(event)]),
        section('No report was produced (the report step failed too). Open the execution below: its history names the failed state and the cause.'),
      ],
    };
  }
  const blocks: KnownBlock[] = [
    ...fields([
      field('Failed step', esc(failure?.step ?? failure?.stage ?? event.stage ?? 'unknown')),
      field('Stage', esc(failure?.stage ?? event.stage ?? 'unknown')),
      field('Error', code(failure?.error ?? 'unknown')),
      field('RTO so far', duration(report.rtoSeconds)),
      field('Mode', report.mode),
      field('Dry run', yesNo(report.dryRun)),
    ]),
  ];
  if (failure?.cause) blocks.push(section(`*Cause*\n${codeBlock(failure.cause, LIMITS.cause)}`));
  if (failure && failure.nextSteps.length > 0) blocks.push(section(`*Next steps*\n${bulletList(failure.nextSteps.map(esc))}`));
  blocks.push(...stepsSection('Steps that finished', report.steps));
  if (!report.dryRun) blocks.push(...changesSection('Changes made before the failure', report.changes));
  return { title, blocks };
}

function rpo(report: CutoverReport) {
  const { label, value } = rpoField(report, { duration, time: slackTime, text: esc });
  return field(label, value);
}

function renderSucceeded(event: CutoverEvent) {
  const report = event.report;
  const title = event.note
    ? `⚠️ ${event.input.dryRun ? 'Dry run' : 'Cutover'} succeeded, lock left to expire: ${event.environment}`
    : `✅ ${event.input.dryRun ? 'Dry run' : 'Cutover'} succeeded: ${event.environment}`;
  const note = event.note ? [section(`⚠️ ${esc(event.note)}`)] : [];
  if (!report) return { title, blocks: [...note, ...fields(runFields(event)), section('The event carries no report; open the execution below for timings.')] };
  return {
    title,
    blocks: [
      ...note,
      ...fields([
        field('RTO', duration(report.rtoSeconds)),
        rpo(report),
        field('Mode', report.mode),
        field('Requested by', esc(event.input.requestedBy)),
        field('Started', slackTime(report.startedAt)),
        field('Finished', slackTime(report.finishedAt)),
      ]),
      ...stepsSection('Step durations', report.steps),
      ...changesSection('Changes made', report.changes),
    ],
  };
}

function renderDryRunPlan(event: CutoverEvent) {
  const report = event.report;
  const title = `🧪 Dry-run plan: ${event.environment}`;
  if (!report) return { title, blocks: [...fields(runFields(event)), section('The event carries no report; open the execution below for the plan.')] };
  return {
    title,
    blocks: [
      section(`Nothing was changed. A real ${report.mode} cutover of ${code(event.environment)} would make *${report.changes.length}* change${report.changes.length === 1 ? '' : 's'}.`),
      ...fields([field('Mode', report.mode), field('Requested by', esc(event.input.requestedBy)), field('Steps checked', String(report.steps.length)), field('Dry-run time', duration(report.rtoSeconds))]),
      ...changesSection('Would change', report.changes, 'Nothing: the standby already looks cut over.'),
      ...stepsSection('Steps', report.steps),
    ],
  };
}

const EVENT_RENDERERS: Record<CutoverEvent['type'], (event: CutoverEvent) => { title: string; blocks: KnownBlock[] }> = {
  'cutover.started': renderStarted,
  'cutover.stage-completed': renderStageCompleted,
  'cutover.approval-needed': renderApprovalNeeded,
  'cutover.failed': renderFailed,
  'cutover.succeeded': renderSucceeded,
  'cutover.dry-run-plan': renderDryRunPlan,
};

function eventSummary(event: CutoverEvent, title: string): string {
  const failure = event.report?.failure;
  if (event.type === 'cutover.failed' && failure) return `${title} — ${failure.step ?? failure.stage} (${failure.error})`;
  if (event.type === 'cutover.succeeded' && event.report) return `${title} — RTO ${duration(event.report.rtoSeconds)}`;
  if (event.type === 'cutover.dry-run-plan' && event.report) return `${title} — ${event.report.changes.length} change${event.report.changes.length === 1 ? '' : 's'}`;
  return title;
}

export function renderEvent(event: CutoverEvent): SlackMessage {
  const { title, blocks } = EVENT_RENDERERS[event.type](event);
  return withinLimits({ text: esc(eventSummary(event, title)), blocks: [header(title), ...blocks, eventContext(event)] });
}

// ---- anything else ---------------------------------------------------------------------

export function renderUnreadable(subject: string | null, raw: string, problem: string): SlackMessage {
  const title = subject?.trim() ? subject.trim() : 'dr-cutover notification';
  return withinLimits({
    text: esc(truncate(`${title}: ${raw}`, 300)),
    blocks: [
      header(`📨 ${title}`),
      section(`*Message*\n${codeBlock(raw || '(empty)', LIMITS.rawMessage)}`),
      context([`Shown as received: ${esc(problem)}.`]),
    ],
  });
}

/**
 * Renders one SNS message (a CloudWatch alarm, a cutover event, or anything else) as a Slack message.
 * Pure and total: malformed input gives a plain fallback message, never an exception.
 */
export function renderMessage(input: NotificationInput, options: RenderOptions = {}): SlackMessage {
  return renderNotification(classify(input), options);
}

export function renderNotification(notification: Notification, options: RenderOptions = {}): SlackMessage {
  try {
    switch (notification.kind) {
      case 'alarm':
        return renderAlarm(notification.alarm, options);
      case 'cutover':
        return renderEvent(notification.event);
      case 'unreadable':
        return renderUnreadable(notification.subject, notification.raw, notification.problem);
    }
  } catch {
    // A renderer bug must not lose the notification: show what arrived.
    const raw = notification.kind === 'alarm' ? rawText(notification.alarm) : notification.kind === 'cutover' ? rawText(notification.event) : notification.raw;
    return renderUnreadable(null, raw, 'it could not be rendered');
  }
}

