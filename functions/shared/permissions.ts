import { z } from 'zod';
import { iamNormalizedRecordName } from '../../stacks/names';
import { readEnv } from './env';
import { errorName, isTransientAwsError, AwsTransientError, DryRunPermissionDeniedError } from './errors';
import {
  SimulatePrincipalPolicyCommand,
  type ContextEntry,
  type EvaluationResult,
  type IAMClient,
  type SimulatePrincipalPolicyCommandInput,
} from '@aws-sdk/client-iam';

/**
 * A dry run proves, before anything changes, that each mutating step's own role may make the exact
 * call a real run would make: `iam:SimulatePrincipalPolicy` on the role (PolicySourceArn is the
 * role's ARN, not the assumed-role session's), with the action, the resource ARNs and the context
 * keys the policy conditions on (IAM API reference, SimulatePrincipalPolicy and ContextEntry).
 * Only dry runs call it: a real run proves its permissions by making the calls.
 */

/** Set on every function by the one function construct (stacks/cutover-function.ts): the function's role ARN. */
export const CUTOVER_ROLE_ARN_ENV = 'CUTOVER_ROLE_ARN';

/** One mutating call a real run would make. */
export interface PlannedCall {
  /** `service:Action`, e.g. route53:ChangeResourceRecordSets. */
  action: string;
  resourceArns: string[];
  /** The condition keys the call carries, as IAM would see them on the real request. */
  context?: ContextEntry[];
  /** What the call is for, in operator words: `for api.portforge.org A`. */
  purpose?: string;
}

export interface PermissionDeps {
  iam: Pick<IAMClient, 'send'>;
  /** The step's role ARN (arn:aws:iam::<account>:role/<path><name>). */
  roleArn: string;
}

/** The role's name, the last segment of its ARN (paths included before it). */
export function roleName(roleArn: string): string {
  return roleArn.split('/').at(-1) ?? roleArn;
}

/** The account of an ARN (its fifth field), e.g. the role's account for the resources it acts on. */
export function arnAccount(arn: string): string {
  return arn.split(':')[4] ?? '';
}

/** The role ARN from the Lambda environment. */
export function roleArnFromEnv(source: NodeJS.ProcessEnv = process.env): string {
  return readEnv(z.object({ [CUTOVER_ROLE_ARN_ENV]: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN') }), source)[
    CUTOVER_ROLE_ARN_ENV
  ];
}

/** A step's permission checker: its IAM client, and its own role ARN read per invocation (only a dry run reads it). */
export function stepPermissions(iam: PermissionDeps['iam']): PermissionDeps {
  return {
    iam,
    get roleArn() {
      return roleArnFromEnv();
    },
  };
}

/** The simulation request for one planned call (pure). */
export function simulationRequest(roleArn: string, call: PlannedCall, marker?: string): SimulatePrincipalPolicyCommandInput {
  return {
    PolicySourceArn: roleArn,
    ActionNames: [call.action],
    ResourceArns: call.resourceArns,
    ...(call.context && call.context.length > 0 ? { ContextEntries: call.context } : {}),
    ...(marker !== undefined ? { Marker: marker } : {}),
  };
}

/**
 * The context of a Route 53 ChangeResourceRecordSets call, as the condition keys read it (Route 53
 * developer guide, "Normalizing Route 53 condition key values"): record names lower case, no trailing
 * dot, other characters octal-escaped; record types and actions upper case. Multivalued: stringList.
 */
export function route53ChangeContext(changes: { name: string; type: string; action: 'CREATE' | 'UPSERT' | 'DELETE' }[]): ContextEntry[] {
  const list = (values: string[]) => [...new Set(values)];
  return [
    { ContextKeyName: 'route53:ChangeResourceRecordSetsNormalizedRecordNames', ContextKeyType: 'stringList', ContextKeyValues: list(changes.map((c) => iamNormalizedRecordName(c.name))) },
    { ContextKeyName: 'route53:ChangeResourceRecordSetsRecordTypes', ContextKeyType: 'stringList', ContextKeyValues: list(changes.map((c) => c.type.toUpperCase())) },
    { ContextKeyName: 'route53:ChangeResourceRecordSetsActions', ContextKeyType: 'stringList', ContextKeyValues: list(changes.map((c) => c.action)) },
  ];
}

/** The blocker an operator reads for one denied evaluation (pure). */
export function denialBlocker(roleArn: string, call: PlannedCall, result: EvaluationResult): string {
  const resource = result.EvalResourceName && result.EvalResourceName !== '*' ? result.EvalResourceName : call.resourceArns.join(', ');
  const missing = result.MissingContextValues && result.MissingContextValues.length > 0 ? ` (the policy needs context ${result.MissingContextValues.join(', ')})` : '';
  const fix =
    result.EvalDecision === 'explicitDeny'
      ? `remove or narrow the Deny statement that matches it (a role policy, permissions boundary or SCP)`
      : `grant ${call.action} on ${resource}${call.context?.length ? ' with the conditions the call carries' : ''} to the role (redeploy the stack)`;
  return `the cutover role ${roleName(roleArn)} may not ${call.action} on ${resource}${call.purpose ? ` ${call.purpose}` : ''}: ${result.EvalDecision}${missing}. A real run would fail here; ${fix}`;
}

/** Every evaluation of one simulation, following IsTruncated/Marker. */
async function evaluate(deps: PermissionDeps, call: PlannedCall): Promise<EvaluationResult[]> {
  const results: EvaluationResult[] = [];
  let marker: string | undefined;
  for (let page = 0; page < 20; page++) {
    const out = await deps.iam.send(new SimulatePrincipalPolicyCommand(simulationRequest(deps.roleArn, call, marker)));
    results.push(...(out.EvaluationResults ?? []));
    if (!out.IsTruncated || out.Marker === undefined) break;
    marker = out.Marker;
  }
  return results;
}

/**
 * Asks IAM about each planned call and returns the blockers: one per denied evaluation, and one per
 * call that IAM did not evaluate at all. A throttled or failed simulation is retried (AwsTransientError),
 * never taken as allowed; a simulation the role may not run is a blocker of its own.
 */
export async function permissionBlockers(deps: PermissionDeps, calls: PlannedCall[]): Promise<string[]> {
  const blockers: string[] = [];
  for (const call of calls) {
    let results: EvaluationResult[];
    try {
      results = await evaluate(deps, call);
    } catch (error) {
      if (isTransientAwsError(error)) {
        throw new AwsTransientError(`iam:SimulatePrincipalPolicy for ${call.action} was not answered (${errorName(error)}); the permissions are not proven yet`, { cause: error });
      }
      const name = errorName(error);
      if (name === 'AccessDenied' || name === 'AccessDeniedException') {
        blockers.push(
          `the cutover role ${roleName(deps.roleArn)} cannot prove its permissions: it may not iam:SimulatePrincipalPolicy on itself (${name}). Grant iam:SimulatePrincipalPolicy on ${deps.roleArn} to the role (redeploy the stack)`,
        );
        return blockers;
      }
      throw error;
    }
    if (results.length === 0) {
      blockers.push(`the cutover role ${roleName(deps.roleArn)}: IAM returned no evaluation for ${call.action} on ${call.resourceArns.join(', ')}; its permission is not proven`);
    }
    for (const result of results) {
      if (result.EvalDecision !== 'allowed') blockers.push(denialBlocker(deps.roleArn, call, result));
    }
  }
  return blockers;
}

/** A dry run's permission check: throws DryRunPermissionDeniedError listing every blocker, if any. */
export async function provePermissions(deps: PermissionDeps, calls: PlannedCall[]): Promise<void> {
  const blockers = await permissionBlockers(deps, calls);
  if (blockers.length > 0) {
    throw new DryRunPermissionDeniedError(
      `dry run blocked: ${blockers.length} permission${blockers.length === 1 ? '' : 's'} missing; nothing was changed. ${blockers.map((b, i) => `(${i + 1}) ${b}`).join(' ')}`,
    );
  }
}
