import { Route53Client } from '@aws-sdk/client-route-53';
import { DnsZoneTargetSchema, stepInput } from '../shared/contracts';
import { defineStep } from '../shared/handler';
import { STEP_NAME, switchDnsRecord } from './logic';
import { awsClientConfig } from '../shared/aws-client';
import { IAMClient } from '@aws-sdk/client-iam';
import { stepPermissions } from '../shared/permissions';

/** The Route 53 control plane is global, served from us-east-1. */
const route53 = new Route53Client(awsClientConfig({ region: 'us-east-1' }));
const permissions = stepPermissions(new IAMClient(awsClientConfig()));

export const handler = defineStep(STEP_NAME, stepInput(DnsZoneTargetSchema), (input) =>
  switchDnsRecord({ route53, permissions }, input),
);
