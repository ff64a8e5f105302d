import { Drill, type DrillRun } from '../../drill/drill';
import { inLambdaEnvironment } from '../../drill/local-execution';
import { findScenario, scenarioInput, type Scenario } from '../../drill/scenarios';
import type { EnvironmentConfig } from '../../stacks/config';
import { loadEnvironment } from '../../stacks/environments';
import { approvalsTableName } from '../../stacks/names';

/**
 * One process drills any environment: a prod drill after a staging drill reads prod's secrets,
 * tables, topic and approvers, never staging's (the step handlers read their environment per
 * invocation, and the drill gives each Lambda its own).
 */
const staging = loadEnvironment('staging');
const prod = loadEnvironment('prod');
function scenario(name: string): Scenario {
  const found = findScenario(name);
  if (!found) throw new Error(`no scenario '${name}'`);
  return found;
}
const alarmApproved = scenario('alarm-approved');

/** An alarm-started run approved in Slack by `slackUserId`: every step, the notifier and the callback run. */
async function drillApproved(config: EnvironmentConfig, slackUserId: string): Promise<{ drill: Drill; run: DrillRun }> {
  const drill = await Drill.create({
    config,
    arrange: (w) => {
      w.approver = { decision: 'approve', afterSeconds: 60, slackUserId };
    },
  });
  return { drill, run: await drill.run(scenarioInput(alarmApproved)) };
}

const secretIds = (drill: Drill): string[] =>
  [...new Set(drill.world.callsOf('GetSecretValueCommand').map((c) => (c.input as { SecretId?: string }).SecretId ?? ''))].sort();
const tableNames = (drill: Drill, command: string): string[] =>
  [...new Set(drill.world.callsOf(command).map((c) => (c.input as { TableName?: string }).TableName ?? ''))].sort();
const topicArns = (drill: Drill): string[] =>
  [...new Set(drill.world.callsOf('PublishCommand').map((c) => (c.input as { TopicArn?: string }).TopicArn ?? ''))].sort();

/** Identifiers only staging's config has: none may appear in a prod run's calls. */
const stagingOnly = [staging.slack.webhookSecretName, staging.slack.signingSecretName, approvalsTableName(staging.name), staging.rds.replicaInstanceId];

describe('drills of two environments in one process', () => {
  let stagingDrill: Drill;
  let prodDrill: Drill;
  let prodRun: DrillRun;

  beforeAll(async () => {
    const first = await drillApproved(staging, 'U0PORTFORGE1');
    stagingDrill = first.drill;
    expect(first.run.result.status).toBe('SUCCEEDED');
    expect(secretIds(stagingDrill)).toEqual([staging.slack.signingSecretName, staging.slack.webhookSecretName].sort());
    await stagingDrill.close();
    // U0PORTFORGE2 approves only in prod: staging's approver list refuses the click.
    ({ drill: prodDrill, run: prodRun } = await drillApproved(prod, 'U0PORTFORGE2'));
  });
  afterAll(async () => {
    await prodDrill.close();
  });

  it("reads prod's Slack secrets, by their names, after a staging drill", () => {
    expect(secretIds(prodDrill)).toEqual([prod.slack.signingSecretName, prod.slack.webhookSecretName].sort());
  });

  it("writes prod's approvals table and accepts prod's approver", () => {
    expect(tableNames(prodDrill, 'PutItemCommand')).toContain(approvalsTableName(prod.name));
    expect(tableNames(prodDrill, 'UpdateItemCommand')).toEqual([approvalsTableName(prod.name)]);
    expect(prodDrill.clicks).toEqual([expect.objectContaining({ decision: 'approve', slackUserId: 'U0PORTFORGE2', statusCode: 200 })]);
    expect(prodRun.result.status).toBe('SUCCEEDED');
  });

  it("locks prod's lock table and publishes to prod's events topic, as each Lambda's environment names them", () => {
    const lockTable = prodDrill.cutover.stepEnvironments['cutover-lock']?.LOCK_TABLE_NAME;
    const topic = prodDrill.cutover.stepEnvironments['notify']?.EVENTS_TOPIC_ARN;
    expect(lockTable).toMatch(/\S/);
    expect(tableNames(prodDrill, 'DeleteItemCommand')).toEqual([lockTable]);
    expect(topicArns(prodDrill)).toEqual([topic]);
  });

  it("gives each concurrently running Lambda its own environment, across awaits, and the process's own outside them", async () => {
    const cutover = prodDrill.cutover;
    const outside = process.env.LAMBDA_TIMEOUT_SECONDS;
    const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
    const readAcrossAwaits = (step: string) =>
      inLambdaEnvironment(cutover, step, async () => {
        const seen: Array<string | undefined> = [];
        for (let i = 0; i < 3; i++) {
          seen.push(process.env.LAMBDA_TIMEOUT_SECONDS, process.env.CUTOVER_STEP);
          await tick();
        }
        return { seen, keys: Object.keys(process.env).includes('SLACK_WEBHOOK_SECRET_ID') };
      });
    const [notifier, callback] = await Promise.all([readAcrossAwaits('slack-notifier'), readAcrossAwaits('approval-callback')]);
    const own = (step: string) => cutover.stepEnvironments[step]?.LAMBDA_TIMEOUT_SECONDS;
    expect(own('slack-notifier')).not.toEqual(own('approval-callback'));
    // CUTOVER_STEP is the construct's marker for the drill, not part of what a handler reads.
    expect(notifier).toEqual({ seen: Array(3).fill([own('slack-notifier'), undefined]).flat(), keys: true });
    expect(callback).toEqual({ seen: Array(3).fill([own('approval-callback'), undefined]).flat(), keys: false });
    expect(process.env.LAMBDA_TIMEOUT_SECONDS).toBe(outside);
    expect(process.env.SLACK_WEBHOOK_SECRET_ID).toBeUndefined();
  });

  it('names no staging resource in any call of the prod run', () => {
    const calls = JSON.stringify(prodDrill.world.calls);
    for (const id of stagingOnly) expect(calls).not.toContain(id);
  });
});
