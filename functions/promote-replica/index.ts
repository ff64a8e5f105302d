import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { RDSClient } from '@aws-sdk/client-rds';
import { clock } from '../shared/clock';
import { RdsTargetSchema, stepInput } from '../shared/contracts';
import { defineStep } from '../shared/handler';
import { promoteReplica } from './logic';
import { awsClientConfig } from '../shared/aws-client';
import { IAMClient } from '@aws-sdk/client-iam';
import { stepPermissions } from '../shared/permissions';

// The Lambda's own (standby) Region: the control plane never calls the failing primary.
const rds = new RDSClient(awsClientConfig());
const cw = new CloudWatchClient(awsClientConfig());
const permissions = stepPermissions(new IAMClient(awsClientConfig()));

export const handler = defineStep('Promote RDS replica', stepInput(RdsTargetSchema), (input) =>
  promoteReplica({ rds, cw, clock, permissions }, input),
);
