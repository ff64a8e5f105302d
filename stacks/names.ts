/** Physical names that other stacks, Regions or the CLI refer to. */
export const stateMachineName = (env: string) => `dr-cutover-${env}`;
export const slackNotifierName = (env: string) => `dr-cutover-${env}-slack-notifier`;
export const approvalsTableName = (env: string) => `dr-cutover-${env}-approvals`;
export const primaryAlarmsTopicName = (env: string) => `dr-cutover-${env}-primary-alarms`;

/**
 * A record name as the IAM condition key `route53:ChangeResourceRecordSetsNormalizedRecordNames`
 * compares it (Route 53 developer guide, "Normalizing Route 53 condition key values"): lower case,
 * no trailing dot, and every character other than a–z, 0–9, `-`, `_` and the label-separating `.`
 * as a backslash and its three-digit octal code (`*.example.org` → `\052.example.org`).
 * Names already written with octal escapes are decoded first, so both spellings give one value.
 */
export function iamNormalizedRecordName(name: string): string {
  const decoded = name.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  return decoded
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/[^a-z0-9_.-]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}
