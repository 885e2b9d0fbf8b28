/**
 * Error budget and burn-rate arithmetic, the same that the generated Prometheus rules do, so that
 * the daemon's reports and canary checks agree with Prometheus to floating-point precision.
 */
import { round12 } from './burn-windows.js';

/** Objective (percent, e.g. 99.9) as a ratio (0.999), free of binary noise. */
export function objectiveRatio(objectivePercent: number): number {
  return round12(objectivePercent / 100);
}

/** Error budget: the share of events allowed to fail, 1 − objective (0.001 for 99.9%). */
export function errorBudget(objectivePercent: number): number {
  return round12(1 - objectiveRatio(objectivePercent));
}

/**
 * Burn rate: how many times faster than "exactly on budget" errors arrive (SRE workbook ch. 5).
 * A burn rate of 1 spends the whole budget in exactly the SLO window.
 */
export function burnRate(errorRatio: number, budget: number): number {
  return errorRatio / budget;
}

/**
 * Error budget remaining over the SLO window: 1 − (error ratio over the window / budget).
 * 1 with no errors, 0 when the budget is spent, negative when overspent.
 */
export function budgetRemaining(windowErrorRatio: number, budget: number): number {
  return 1 - windowErrorRatio / budget;
}

/** The alert threshold on the error ratio: factor × (1 − objective). */
export function alertThreshold(factor: number, budget: number): number {
  return factor * budget;
}

/**
 * Whether a multi-window burn alert condition holds: both the long and the short window's error
 * ratios exceed the threshold (the workbook's `and` of two windows).
 */
export function burnAlertActive(longRatio: number, shortRatio: number, threshold: number): boolean {
  return longRatio > threshold && shortRatio > threshold;
}
