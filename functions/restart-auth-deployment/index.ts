import { clock } from '../shared/clock';
import { lambdaKubeConnector } from '../shared/eks';
import { defineStep } from '../shared/handler';
import { restartAuthDeployment, RestartAuthDeploymentInputSchema } from './logic';

const kube = lambdaKubeConnector();

export const handler = defineStep('Restart Auth deployment', RestartAuthDeploymentInputSchema, (input) =>
  restartAuthDeployment({ kube, clock }, input),
);
