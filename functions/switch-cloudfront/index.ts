import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { DistributionTargetSchema, stepInput } from '../shared/contracts';
import { defineStep } from '../shared/handler';
import { STEP_NAME, switchCloudFront } from './logic';
import { awsClientConfig } from '../shared/aws-client';
import { IAMClient } from '@aws-sdk/client-iam';
import { stepPermissions } from '../shared/permissions';

/** The CloudFront control plane is global, served from us-east-1. */
const cloudfront = new CloudFrontClient(awsClientConfig({ region: 'us-east-1' }));
const permissions = stepPermissions(new IAMClient(awsClientConfig()));

export const handler = defineStep(STEP_NAME, stepInput(DistributionTargetSchema), (input) =>
  switchCloudFront({ cloudfront, permissions }, input),
);
