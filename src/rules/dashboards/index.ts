/** The three dashboards, their Grafana provisioning, and GrafanaDashboard objects (grafana-operator). */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Config } from '../../model/types.js';
import { debugDashboard } from './debug.js';
import { executiveDashboard } from './executive.js';
import { oncallDashboard } from './oncall.js';

/** Every dashboard, by file stem: prices and the daemon's URL come from the config. */
export function dashboards(config: Pick<Config, 'models' | 'dashboards'>): Array<{ name: string; dashboard: Dashboard }> {
  return [
    { name: 'modelslo-executive', dashboard: executiveDashboard(config) },
    { name: 'modelslo-oncall', dashboard: oncallDashboard() },
    { name: 'modelslo-debug', dashboard: debugDashboard(config.dashboards) },
  ];
}

/** A Grafana file provider loading the dashboards from `path` into a "modelslo" folder. */
export function provisioning(path = '/var/lib/grafana/dashboards/modelslo'): Record<string, unknown> {
  return {
    apiVersion: 1,
    providers: [{ name: 'modelslo', folder: 'modelslo', type: 'file', disableDeletion: false, allowUiUpdates: false, options: { path, foldersFromFilesStructure: false } }],
  };
}

/** A GrafanaDashboard object of grafana-operator (grafana.integreatly.org/v1beta1). */
export function grafanaDashboard(name: string, dashboard: Dashboard): Record<string, unknown> {
  return {
    apiVersion: 'grafana.integreatly.org/v1beta1',
    kind: 'GrafanaDashboard',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'modelslo' } },
    spec: {
      instanceSelector: { matchLabels: { dashboards: 'grafana' } },
      folder: 'modelslo',
      json: JSON.stringify(dashboard, null, 2),
    },
  };
}
