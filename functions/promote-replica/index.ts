import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { RDSClient } from '@aws-sdk/client-rds';
import { clock } from '../shared/clock';
import { RdsTargetSchema, stepInput } from '../shared/contracts';
import { defineStep } from '../shared/handler';
import { promoteReplica } from './logic';

// The Lambda's own (standby) Region: the control plane never calls the failing primary.
const rds = new RDSClient({});
const cw = new CloudWatchClient({});

export const handler = defineStep('Promote RDS replica', stepInput(RdsTargetSchema), (input) =>
  promoteReplica({ rds, cw, clock }, input),
);
