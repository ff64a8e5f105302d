#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CutoverStack } from './cutover-stack';
import { loadEnvironment } from './environments';
import { PrimaryAlarmsStack } from './primary-alarms-stack';

/** Builds the app for one environment (`-c env=staging|prod`), with cdk-nag AwsSolutions checks. */
export function buildApp(app: App = new App()): App {
  const envName = String(app.node.tryGetContext('env') ?? 'staging');
  const account = (app.node.tryGetContext('account') as string | undefined) ?? process.env.CDK_DEFAULT_ACCOUNT;
  const config = loadEnvironment(envName, account);
  const cutover = new CutoverStack(app, `DrCutover-${config.name}`, {
    config,
    env: { account: config.account, region: config.standbyRegion },
    description: `dr-cutover: ${config.primaryRegion} → ${config.standbyRegion} cutover state machine (${config.name})`,
  });
  const primaryAlarms = new PrimaryAlarmsStack(app, `DrCutover-${config.name}-primary-alarms`, {
    config,
    env: { account: config.account, region: config.primaryRegion },
    description: `dr-cutover: DynamoDB replication alarms in ${config.primaryRegion}, delivered to the ${config.standbyRegion} Slack notifier (${config.name})`,
  });
  // Deploy order only (no cross-Region references): the notifier it subscribes must exist first.
  primaryAlarms.addDependency(cutover);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

if (require.main === module) {
  try {
    buildApp().synth();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
