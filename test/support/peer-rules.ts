/**
 * A peer comparison under `promtool test rules`: a peer's rule file (Sloth's generated rules) and
 * modelslo's, fed the same synthetic series, beside a third rule group that records, at every
 * evaluation, where the two disagree: an error ratio of any window that differs (or exists on one
 * side only), and a page or ticket condition that holds on one side only. Each test then expects
 * `count_over_time` of the disagreements over the whole scenario to be empty, so one promtool run
 * checks every evaluation; it also records when each side's conditions hold, to show the scenario
 * really crossed them.
 */
import type { Model, Slo } from '../../src/model/types.js';
import { expandingNotation } from '../../src/rules/promtool-series.js';
import { burnAlertRules, sloSelector } from '../../src/rules/slo-rules.js';
import { RULE_NAMES } from '../../src/rules/types.js';
import { BURN_WINDOWS, burnFactor, SLI_WINDOWS } from '../../src/slo/burn-windows.js';
import { errorBudget } from '../../src/slo/budget.js';

/** The peer's side of one SLO: its ratio series and its page and ticket alert conditions. */
export interface PeerSlo {
  /** Label matchers of the peer's SLI ratio series, `{sloth_id="…"}`. */
  selector: string;
  /** Recording rule of the peer's error ratio over a window. */
  ratio: (window: string) => string;
  page?: string;
  ticket?: string;
}

/** One SLO compared: modelslo's model and SLO, and the peer's. */
export interface ComparedSlo {
  model: Model;
  slo: Slo;
  peer: PeerSlo;
}

/** A label-less key of one compared SLO in the peer rules. */
export const sloKey = (c: ComparedSlo): string => `${c.model.name}/${c.slo.name}`;

const disagree = (a: string, b: string): string => `(count(${a}) unless count(${b})) or (count(${b}) unless count(${a}))`;

/** The peer group's rules for the compared SLOs. */
export function peerRuleFile(compared: readonly ComparedSlo[]): Record<string, unknown> {
  const rules: Record<string, unknown>[] = [];
  for (const c of compared) {
    const key = sloKey(c);
    const sel = sloSelector(c.model, c.slo);
    for (const w of SLI_WINDOWS) {
      const ours = `sum(${RULE_NAMES.sliError(w)}${sel})`;
      const theirs = `sum(${c.peer.ratio(w)}${c.peer.selector})`;
      rules.push({
        record: 'peer:ratio_disagree',
        // Equal within 1e-9 relative (1e-12 absolute at zero): both sides divide the same float sums.
        expr: `(abs(${ours} - ${theirs}) > (abs(${theirs}) * 1e-9 + 1e-12)) or (${ours} unless ${theirs}) or (${theirs} unless ${ours})`,
        labels: { slo: key, window: w },
      });
      rules.push({ record: 'peer:ratio_compared', expr: `${ours} and ${theirs}`, labels: { slo: key, window: w } });
    }
    const alerts = burnAlertRules(c.model, c.slo);
    for (const severity of ['page', 'ticket'] as const) {
      const theirs = c.peer[severity];
      const shorts = BURN_WINDOWS.filter((r) => r.severity === severity).map((r) => r.short);
      const ours = alerts.filter((r) => shorts.includes(r.labels.short_window ?? '')).map((r) => `(${r.expr})`);
      if (theirs === undefined && ours.length === 0) continue;
      const mine = ours.length === 0 ? 'vector(0) unless vector(0)' : ours.join(' or ');
      const peer = theirs ?? 'vector(0) unless vector(0)';
      rules.push({ record: 'peer:condition_disagree', expr: disagree(mine, peer), labels: { slo: key, severity } });
      rules.push({ record: 'peer:condition', expr: `count(${mine})`, labels: { slo: key, severity, side: 'modelslo' } });
      rules.push({ record: 'peer:condition', expr: `count(${peer})`, labels: { slo: key, severity, side: 'peer' } });
    }
  }
  return { groups: [{ name: 'peer-comparison', rules }] };
}

/** One phase of a scenario: an error ratio held for some minutes. */
export interface PeerPhase {
  name: string;
  minutes: number;
  errorRatio: number;
}

/** Minutes between samples and evaluations (as the generated promtool tests). */
export const PEER_STEP_MINUTES = 5;

/**
 * The scenario for an SLO's budget, one run through: a fast burn (50x), burns 3% above and 4%
 * below the 1h and 6h page factors held past their long window (both windows then hold the same
 * ratio, so the factor alone decides), and a slow burn (4.1x) whose 1d and 3d ratios climb through
 * the ticket factors 3 and 1 in steps under 1.5% of the budget. The levels are chosen so that no
 * window mixes them into exactly a factor: there Sloth's float budget (1 - 0.999 =
 * 0.000999999999999943) fires and modelslo's 0.001 does not, a tie docs/rules.md describes.
 */
export function peerScenario(slo: Slo): PeerPhase[] {
  const budget = errorBudget(slo.objective);
  const at = (x: number): number => Math.min(1, x * budget);
  const [fast, slow] = BURN_WINDOWS.filter((r) => r.severity === 'page').map((r) => burnFactor(r, slo.window));
  return [
    { name: 'healthy', minutes: 60, errorRatio: 0 },
    { name: 'fast burn 50x', minutes: 60, errorRatio: at(50) },
    { name: 'recovery', minutes: 60, errorRatio: 0 },
    { name: `1.03 x ${fast}`, minutes: 90, errorRatio: at(1.03 * (fast ?? 0)) },
    { name: `0.96 x ${fast}`, minutes: 90, errorRatio: at(0.96 * (fast ?? 0)) },
    { name: 'recovery', minutes: 60, errorRatio: 0 },
    { name: `1.03 x ${slow}`, minutes: 390, errorRatio: at(1.03 * (slow ?? 0)) },
    { name: `0.96 x ${slow}`, minutes: 390, errorRatio: at(0.96 * (slow ?? 0)) },
    { name: 'recovery', minutes: 360, errorRatio: 0 },
    { name: 'slow burn 4.1x', minutes: 1200, errorRatio: at(4.1) },
    { name: 'recovered', minutes: 120, errorRatio: 0 },
  ];
}

/** The error ratio at each step (step 0 first) of a scenario. */
export function stepRatios(phases: readonly PeerPhase[]): number[] {
  return [0, ...phases.flatMap((p) => Array.from({ length: p.minutes / PEER_STEP_MINUTES }, () => p.errorRatio))];
}

/** A series of a scenario: PromQL series text and its values per step. */
export interface PeerSeries {
  series: string;
  values: readonly number[];
}

/** One promtool test: the inputs, and expectations read over the whole scenario at its end; the burned SLOs' conditions must hold at some point. */
export function peerTest(name: string, inputs: readonly PeerSeries[], compared: readonly ComparedSlo[], burned: readonly ComparedSlo[]): Record<string, unknown> {
  const steps = Math.max(...inputs.map((i) => i.values.length));
  const end = (steps - 1) * PEER_STEP_MINUTES;
  const range = `${end + PEER_STEP_MINUTES}m`;
  const tests: Record<string, unknown>[] = [
    { expr: `count_over_time(peer:ratio_disagree[${range}])`, eval_time: `${end}m`, exp_samples: [] },
    { expr: `count_over_time(peer:condition_disagree[${range}])`, eval_time: `${end}m`, exp_samples: [] },
  ];
  for (const c of compared) {
    const key = JSON.stringify(sloKey(c));
    // The ratios were compared at some evaluations (both present), for every window.
    tests.push({
      expr: `count by (window) (count_over_time(peer:ratio_compared{slo=${key}}[${range}]) > 0)`,
      eval_time: `${end}m`,
      exp_samples: SLI_WINDOWS.map((w) => ({ labels: `{window="${w}"}`, value: 1 })),
    });
    if (!burned.includes(c)) continue;
    // The burns crossed each enabled condition on both sides.
    const enabled = (['page', 'ticket'] as const).filter((s) => c.slo.alerts[s]);
    tests.push({
      expr: `count by (severity, side) (count_over_time(peer:condition{slo=${key}}[${range}]) > 0)`,
      eval_time: `${end}m`,
      exp_samples: enabled.flatMap((s) => ['modelslo', 'peer'].map((side) => ({ labels: `{severity="${s}",side="${side}"}`, value: 1 }))),
    });
  }
  return {
    name,
    interval: `${PEER_STEP_MINUTES}m`,
    input_series: inputs.map((i) => ({ series: i.series, values: expandingNotation(i.values) })),
    promql_expr_test: tests,
  };
}
