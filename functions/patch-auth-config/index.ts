import { lambdaKubeConnector } from '../shared/eks';
import { defineStep } from '../shared/handler';
import { patchAuthConfig, PatchAuthConfigInputSchema } from './logic';

const kube = lambdaKubeConnector();

export const handler = defineStep('Patch Auth config', PatchAuthConfigInputSchema, (input) => patchAuthConfig({ kube }, input));
