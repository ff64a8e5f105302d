import {
  IAMClient,
  SimulatePrincipalPolicyCommand,
  type ContextEntry,
  type EvaluationResult,
  type SimulatePrincipalPolicyCommandInput,
  type SimulatePrincipalPolicyCommandOutput,
} from '@aws-sdk/client-iam';
import type { IamAuthorizer } from '../iam';
import { stubClient, type Answer } from './dispatch';
import type { SimulatedWorld } from './simulated-world';

/**
 * IAM's policy simulator, answered with the evaluator that authorizes the drill's calls, so a dry
 * run's permission check agrees with what the real run would meet. IAM API reference,
 * SimulatePrincipalPolicy: for the user, group or role named by PolicySourceArn, each action in
 * ActionNames is evaluated on each resource in ResourceArns (`*` when none is given), with the
 * ContextEntries supplying the values of the condition keys; each EvaluationResult carries
 * EvalActionName, EvalResourceName and EvalDecision (allowed | explicitDeny | implicitDeny).
 * MissingContextValues is not modelled. The answer is never truncated (IsTruncated false).
 */
export function installIam(world: SimulatedWorld, authorizer: IamAuthorizer): void {
  const on = stubClient(world, IAMClient);
  on(SimulatePrincipalPolicyCommand, async (input: SimulatePrincipalPolicyCommandInput): Promise<Answer<SimulatePrincipalPolicyCommandOutput>> => {
    const context = contextOf(input.ContextEntries ?? []);
    const resources = input.ResourceArns && input.ResourceArns.length > 0 ? input.ResourceArns : ['*'];
    const results: EvaluationResult[] = [];
    for (const action of input.ActionNames ?? []) {
      for (const resource of resources) {
        const decision = await authorizer.simulatePrincipalPolicy({ policySourceArn: input.PolicySourceArn ?? '', action, resource, context });
        results.push({ EvalActionName: action, EvalResourceName: resource, EvalDecision: decision });
      }
    }
    return { EvaluationResults: results, IsTruncated: false };
  });
}

/** ContextEntry (IAM API reference): a list type carries every value, a scalar type its one value. */
function contextOf(entries: ContextEntry[]): Record<string, string | string[]> {
  return Object.fromEntries(entries.map((e) => [e.ContextKeyName ?? '', (e.ContextKeyType ?? '').endsWith('List') ? (e.ContextKeyValues ?? []) : (e.ContextKeyValues?.[0] ?? '')]));
}
