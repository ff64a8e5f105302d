import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import type { MetadataBearer } from '@smithy/types';
import {
  IAMClient,
  SimulatePrincipalPolicyCommand,
  type SimulatePrincipalPolicyCommandInput,
  type SimulatePrincipalPolicyCommandOutput,
} from '../../functions/shared/iam-client';

/** A role ARN as the stack passes it (CUTOVER_ROLE_ARN). */
export const ROLE_ARN = 'arn:aws:iam::111122223333:role/dr-cutover-step-role';

/** The minimal IAM client is not a smithy Client, but aws-sdk-client-mock only stubs its `send` and matches commands by class. */
export const iamMock = mockClient(IAMClient as unknown as Parameters<typeof mockClient>[0]) as unknown as AwsStub<
  SimulatePrincipalPolicyCommandInput,
  SimulatePrincipalPolicyCommandOutput & MetadataBearer,
  unknown
>;
export const SimulateCommand = SimulatePrincipalPolicyCommand as unknown as Parameters<typeof iamMock.on>[0];
const iam = new IAMClient({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
export const permissions = { iam, roleArn: ROLE_ARN };

/** IAM answers every simulation with `allowed` for each action and resource asked about. */
export function allowAll(): void {
  iamMock.on(SimulateCommand).callsFake((input: SimulatePrincipalPolicyCommandInput) => ({
    EvaluationResults: input.ActionNames.flatMap((a) => (input.ResourceArns ?? ['*']).map((r) => ({ EvalActionName: a, EvalResourceName: r, EvalDecision: 'allowed' }))),
    IsTruncated: false,
  }));
}

/** The simulations IAM was asked for, in order. */
export function simulations(): SimulatePrincipalPolicyCommandInput[] {
  return iamMock.calls().map((c) => (c.args[0] as unknown as SimulatePrincipalPolicyCommand).input);
}
