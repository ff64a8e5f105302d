import type { z } from 'zod';
import { EksTargetSchema, stepInput, type Change, type EksTarget, type StepResult } from '../shared/contracts';
import type { KubeConnector } from '../shared/eks';
import { patchConfigMap, readConfigMap, resourceVersionPrecondition } from '../shared/kube';

export const STEP = 'Patch Auth config';
export const PatchAuthConfigInputSchema = stepInput(EksTargetSchema);
export type PatchAuthConfigInput = z.output<typeof PatchAuthConfigInputSchema>;

export interface PatchAuthConfigDeps {
  kube: KubeConnector;
}

/** One change per configured key whose current value differs. Keys not in the target are left alone. */
export function configMapChanges(target: EksTarget, current: Record<string, string>): Change[] {
  const resource = `configmap/${target.namespace}/${target.configMapName}`;
  return Object.keys(target.configMapData)
    .sort()
    .flatMap((key) => {
      const after = target.configMapData[key];
      const before = Object.hasOwn(current, key) ? current[key] : undefined;
      if (after === undefined || before === after) return [];
      return [{ resource, action: `set ${key}`, before: before ?? null, after }];
    });
}

/**
 * Points the Auth service at the standby Region's Cognito and Region: reads the ConfigMap,
 * and merge-patches only the configured keys whose values differ.
 */
export async function patchAuthConfig(deps: PatchAuthConfigDeps, input: PatchAuthConfigInput): Promise<StepResult> {
  const { target } = input;
  const ref = { namespace: target.namespace, name: target.configMapName };
  const apis = await deps.kube(target.clusterName);
  const configMap = await readConfigMap(apis, ref);
  const changes = configMapChanges(target, configMap.data ?? {});

  if (changes.length === 0) return { step: STEP, outcome: 'already-done', changes };
  if (input.dryRun) return { step: STEP, outcome: 'would-change', changes };

  const data: Record<string, string> = {};
  for (const change of changes) {
    const key = change.action.slice('set '.length);
    const value = target.configMapData[key];
    if (value !== undefined) data[key] = value;
  }
  await patchConfigMap(apis, ref, { ...resourceVersionPrecondition(configMap), data });
  return { step: STEP, outcome: 'changed', changes };
}
