import { DescribeClusterCommand, EKSClient, type ClusterStatus, type DescribeClusterCommandInput, type DescribeClusterCommandOutput } from '@aws-sdk/client-eks';
import { stubClient, type Answer } from './dispatch';
import type { Effect, SimulatedWorld } from './simulated-world';

export function installEks(world: SimulatedWorld): void {
  const on = stubClient(world, EKSClient);
  on(DescribeClusterCommand, (input: DescribeClusterCommandInput): Answer<DescribeClusterCommandOutput> => {
    if (input.name !== world.config.eks.clusterName) {
      throw Object.assign(new Error(`No cluster found for name: ${input.name}.`), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    }
    const access = world.clusterEndpointAccess;
    return {
      cluster: {
        name: input.name,
        status: world.clusterStatus as ClusterStatus,
        endpoint: world.kubeEndpoint?.endpoint,
        certificateAuthority: { data: world.kubeEndpoint?.caData },
        accessConfig: { authenticationMode: world.clusterAuthenticationMode },
        resourcesVpcConfig: {
          vpcId: access.vpcId,
          endpointPublicAccess: access.endpointPublicAccess,
          endpointPrivateAccess: access.endpointPrivateAccess,
          publicAccessCidrs: [...access.publicAccessCidrs],
        },
      },
    };
  });
}

export function authPatchedAndRolled(world: SimulatedWorld): boolean {
  const { namespace, configMapName, deploymentName } = world.config.eks;
  const data = world.kube.configMap(namespace, configMapName)?.data ?? {};
  const patched = Object.entries(world.config.eks.configMapData).every(([k, v]) => data[k] === v);
  const d = world.kube.deployment(namespace, deploymentName);
  const want = d?.spec?.replicas ?? 1;
  const rolled =
    (d?.status?.observedGeneration ?? 0) >= (d?.metadata?.generation ?? 0) &&
    d?.status?.updatedReplicas === want &&
    d.status.readyReplicas === want;
  return patched && rolled;
}

/** Successful mutations the Kubernetes stand-in accepted. */
export function kubernetesEffects(world: SimulatedWorld): Effect[] {
  return world.kube
    .mutatingRequests()
    .filter((r) => r.status >= 200 && r.status < 300)
    .map((r) => ({ kind: 'kubernetes-patch', detail: `${r.method} ${r.path}` }));
}

/**
 * The cluster's authentication mode. In CONFIG_MAP mode EKS ignores access entries, and the
 * cutover role (mapped only by an access entry, not in aws-auth) is not authenticated: the API
 * server answers its token with 401 (EKS User Guide, "Grant IAM users access to Kubernetes with
 * EKS access entries": access entries need API or API_AND_CONFIG_MAP).
 */
export function setClusterAuthenticationMode(world: SimulatedWorld, mode: 'API' | 'API_AND_CONFIG_MAP' | 'CONFIG_MAP'): void {
  world.clusterAuthenticationMode = mode;
  world.kube.clearFaults();
  if (mode === 'CONFIG_MAP') world.kube.failNext(Number.POSITIVE_INFINITY, 401);
}
