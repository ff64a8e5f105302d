import type { CutoverReport } from './contracts';

export interface RpoFormat {
  duration: (seconds: number) => string;
  time: (iso: string) => string;
  /** Escapes text RDS wrote (StatusInfos) for the medium; default: as is. */
  text?: (raw: string) => string;
}

/**
 * The report's RPO in words, the same in Slack, the CLI and the drill. The figure is labelled
 * as apply lag (ReplicaLag), which is what it is; when replication had stopped the RPO is
 * unknown and the text says since when, never "0 s" or "-1".
 */
export function rpoText(report: Pick<CutoverReport, 'rpoSeconds' | 'rpo'>, format: RpoFormat): string {
  const rpo = report.rpo;
  if (rpo === undefined) {
    if (report.rpoSeconds !== null && report.rpoSeconds < 0) return 'RPO unknown: replication was not running at promotion (ReplicaLag -1)';
    return report.rpoSeconds === null ? 'unknown (no replica lag recorded)' : `apply lag ${format.duration(report.rpoSeconds)} at promotion (ReplicaLag)`;
  }
  if (rpo.state === 'measured' && rpo.applyLagSeconds !== null) {
    return `apply lag ${format.duration(rpo.applyLagSeconds)} at promotion (ReplicaLag; replication was running)`;
  }
  const lastKnown = rpo.lastKnownApplyLagSeconds === null ? '' : `; last known apply lag ${format.duration(rpo.lastKnownApplyLagSeconds)}`;
  if (rpo.replicationStoppedAt !== null) {
    return `RPO unknown: replication stopped at ${format.time(rpo.replicationStoppedAt)}${lastKnown}`;
  }
  if (rpo.replication === 'stopped') {
    return `RPO unknown: replication stopped before the oldest ReplicaLag datapoint read (3 hours back); status info: ${(format.text ?? ((t) => t))(rpo.statusInfo)}`;
  }
  return `RPO unknown: no current ReplicaLag datapoint at promotion${lastKnown}`;
}
