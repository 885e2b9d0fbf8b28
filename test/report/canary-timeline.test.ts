/** Canary decisions in a report: the notable ones on the timeline, and only an applied rollback as mitigation. */
import { describe, expect, it } from 'vitest';
import { notableDecisions } from '../../src/report/timeline.js';
import type { CanaryDecision } from '../../src/report/ports.js';

const d = (minute: number, revision: string, verdict: CanaryDecision['verdict'], action: string, reason: string): CanaryDecision => ({
  timeMs: Date.parse('2026-11-30T10:00:00Z') + minute * 60_000, revision, verdict, action, patch: null, reason,
});

describe('canary decisions on a report timeline', () => {
  it('keeps the first analysis of each revision, failed analyses and every step, promotion and rollback; not routine holds', () => {
    const all = [
      d(0, 'r2', 'hold', 'none', 'inconclusive: canary has 20 request records in the window, fewer than min_requests 200'),
      d(1, 'r2', 'hold', 'none', 'inconclusive: canary has 40 request records in the window, fewer than min_requests 200'),
      d(2, 'r2', 'hold', 'none', 'passed 6 checks (1 of promote_after 3 at 10%)'),
      d(3, 'r2', 'hold', 'none', 'failed: latency (1 of failure_limit 2; rolled back at 2)'),
      d(4, 'r2', 'rollback', 'failed', 'failed: latency (2 of failure_limit 2)'),
      d(5, 'r2', 'rollback', 'patched', 'failed: latency (2 of failure_limit 2)'),
      d(6, 'r3', 'hold', 'none', 'inconclusive: canary has 5 request records in the window, fewer than min_requests 200'),
      d(7, 'r3', 'hold', 'none', 'passed 6 checks (1 of promote_after 3 at 10%)'),
      d(8, 'r3', 'step', 'dry_run', 'dry run: would step'),
    ];
    expect(notableDecisions(all).map((x) => (x.timeMs - all[0]!.timeMs) / 60_000)).toEqual([0, 3, 4, 5, 6, 8]);
  });
});
