import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';

/** Namespace and metric of the primary Region's health, measured from the standby Region. */
export const PROBE_NAMESPACE = 'DrCutover';
export const PROBE_METRIC = 'PrimaryHealthy';

export interface ProbeDeps {
  cw: CloudWatchClient;
  fetch: typeof fetch;
  now: () => Date;
}

export interface ProbeTarget {
  environment: string;
  url: string;
  timeoutMs: number;
}

export interface ProbeResult {
  healthy: boolean;
  /** HTTP status, or the network error's name. */
  detail: string;
  latencyMs: number;
}

/** One health check: healthy means any 2xx within the timeout; everything else is unhealthy. */
export async function checkPrimary(deps: Pick<ProbeDeps, 'fetch' | 'now'>, target: ProbeTarget): Promise<ProbeResult> {
  const started = deps.now().getTime();
  try {
    const res = await deps.fetch(target.url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(target.timeoutMs) });
    await res.body?.cancel();
    return { healthy: res.status >= 200 && res.status < 300, detail: `HTTP ${res.status}`, latencyMs: deps.now().getTime() - started };
  } catch (error) {
    // fetch aborts with a DOMException, which is not always an `instanceof Error`.
    const name = typeof (error as { name?: unknown }).name === 'string' ? (error as { name: string }).name : 'Error';
    return { healthy: false, detail: name === 'TimeoutError' ? `timeout after ${target.timeoutMs} ms` : name, latencyMs: deps.now().getTime() - started };
  }
}

/**
 * Probes the primary Region from the standby Region and records 1 (healthy) or 0 as a metric
 * here, so the alarm that can start a cutover never lives in the Region that is failing.
 */
export async function probe(deps: ProbeDeps, target: ProbeTarget): Promise<ProbeResult> {
  const result = await checkPrimary(deps, target);
  await deps.cw.send(
    new PutMetricDataCommand({
      Namespace: PROBE_NAMESPACE,
      MetricData: [
        {
          MetricName: PROBE_METRIC,
          Dimensions: [{ Name: 'Environment', Value: target.environment }],
          Timestamp: deps.now(),
          Value: result.healthy ? 1 : 0,
          Unit: 'Count',
        },
      ],
    }),
  );
  return result;
}
