/** Physical names that other stacks, Regions or the CLI refer to. */
export const stateMachineName = (env: string) => `dr-cutover-${env}`;
export const slackNotifierName = (env: string) => `dr-cutover-${env}-slack-notifier`;
export const approvalsTableName = (env: string) => `dr-cutover-${env}-approvals`;
export const primaryAlarmsTopicName = (env: string) => `dr-cutover-${env}-primary-alarms`;
