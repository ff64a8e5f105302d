import { lambdaKubeConnector } from '../shared/eks';
import { defineStep } from '../shared/handler';
import { checkAuthRollout, CheckAuthRolloutInputSchema } from './logic';

const kube = lambdaKubeConnector();

export const handler = defineStep('Check Auth rollout', CheckAuthRolloutInputSchema, (input) =>
  checkAuthRollout({ kube }, input),
);
