import { PatchStrategy, setHeaderOptions, type V1ConfigMap, type V1Deployment } from '@kubernetes/client-node';
import { kubeCall, withRequestTimeout, type KubeApis } from './eks';

/**
 * The few Kubernetes calls the Auth steps make, each bounded by the client's request timeout and
 * with its failure mapped to a named error. Patches are RFC 7396 JSON merge patches (the client's default is JSON-Patch).
 */

/** Field manager recorded on every change, so `kubectl get -o yaml --show-managed-fields` names the cutover. */
export const FIELD_MANAGER = 'dr-cutover';

/** A JSON merge patch body (RFC 7396): `null` deletes, objects merge, arrays replace. */
export type MergePatch = { [key: string]: MergePatchValue };
export type MergePatchValue = string | number | boolean | null | MergePatch | MergePatchValue[];

const mergePatchOptions = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface ObjectRef {
  namespace: string;
  name: string;
}

export function readConfigMap(apis: KubeApis, ref: ObjectRef): Promise<V1ConfigMap> {
  return kubeCall(`read configmap/${ref.namespace}/${ref.name}`, () =>
    apis.core.readNamespacedConfigMap({ name: ref.name, namespace: ref.namespace }, withRequestTimeout(apis)),
  );
}

export function patchConfigMap(apis: KubeApis, ref: ObjectRef, patch: MergePatch): Promise<V1ConfigMap> {
  return kubeCall(`patch configmap/${ref.namespace}/${ref.name}`, () =>
    apis.core.patchNamespacedConfigMap(
      { name: ref.name, namespace: ref.namespace, body: patch, fieldManager: FIELD_MANAGER },
      withRequestTimeout(apis, mergePatchOptions()),
    ),
  );
}

export function readDeployment(apis: KubeApis, ref: ObjectRef): Promise<V1Deployment> {
  return kubeCall(`read deployment/${ref.namespace}/${ref.name}`, () =>
    apis.apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace }, withRequestTimeout(apis)),
  );
}

export function patchDeployment(apis: KubeApis, ref: ObjectRef, patch: MergePatch): Promise<V1Deployment> {
  return kubeCall(`patch deployment/${ref.namespace}/${ref.name}`, () =>
    apis.apps.patchNamespacedDeployment(
      { name: ref.name, namespace: ref.namespace, body: patch, fieldManager: FIELD_MANAGER },
      withRequestTimeout(apis, mergePatchOptions()),
    ),
  );
}

/** `metadata.resourceVersion` as a merge-patch precondition: the API answers 409 if the object changed since the read. */
export function resourceVersionPrecondition(object: { metadata?: { resourceVersion?: string } }): MergePatch {
  const resourceVersion = object.metadata?.resourceVersion;
  return resourceVersion ? { metadata: { resourceVersion } } : {};
}
