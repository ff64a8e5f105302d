import { mockClient } from 'aws-sdk-client-mock';
import { IAMClient, SimulatePrincipalPolicyCommand, type SimulatePrincipalPolicyCommandInput } from '@aws-sdk/client-iam';

/** A role ARN as the stack passes it (CUTOVER_ROLE_ARN). */
export const ROLE_ARN = 'arn:aws:iam::111122223333:role/dr-cutover-step-role';

export const iamMock = mockClient(IAMClient);
export const SimulateCommand = SimulatePrincipalPolicyCommand;
const iam = new IAMClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
export const permissions = { iam, roleArn: ROLE_ARN };

/** IAM answers every simulation with `allowed` for each action and resource asked about. */
export function allowAll(): void {
  iamMock.on(SimulateCommand).callsFake((input: SimulatePrincipalPolicyCommandInput) => ({
    EvaluationResults: (input.ActionNames ?? []).flatMap((a) => (input.ResourceArns ?? ['*']).map((r) => ({ EvalActionName: a, EvalResourceName: r, EvalDecision: 'allowed' }))),
    IsTruncated: false,
  }));
}

/** The simulations IAM was asked for, in order. */
export function simulations(): SimulatePrincipalPolicyCommandInput[] {
  return iamMock.calls().map((c) => (c.args[0] as SimulatePrincipalPolicyCommand).input);
}
