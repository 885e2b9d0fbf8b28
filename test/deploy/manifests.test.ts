/**
 * deploy/: the Kustomize base and the example overlay, built offline by the real `kubectl kustomize`
 * and checked object by object: kinds and apiVersions, every reference (selectors, named ports,
 * ServiceAccount, Secrets, ConfigMaps and their keys, the volume claim, probes), the config against
 * modelslo's own parser, the CLI flags against the CLI, and the generated PrometheusRules and
 * GrafanaDashboards against `modelslo generate`. No cluster runs here: a real rollout is not proven.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- manifests are read loosely and checked field by field */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { registerDaemon } from '../../src/cli/daemon.js';
import { registerSidecar } from '../../src/cli/sidecar.js';
import { tokenMatches } from '../../src/ops/secrets.js';
import { renderArtifacts } from '../../src/render/files.js';
import { generateArtifacts } from '../../src/rules/generate.js';
import { parseConfig } from '../../src/spec/parse.js';
import { exampleConfig, mustParse, repoPath } from '../support/fixtures.js';
import { findObject, flagValue, kustomize, kustomizeOverlay, mountOf, objectId, portOf, selects, type K8sObject } from './k8s-objects.js';

const TOKEN = randomBytes(32).toString('hex');
const OPERATOR = { rules: 'prometheus-operator', dashboards: 'grafana-operator' } as const;

/** What the base must hold, and nothing else: `kind namespace/name` and the apiVersion of the kind. */
const BASE: Array<[string, string]> = [
  ['Namespace /modelslo-system', 'v1'],
  ['ServiceAccount modelslo-system/modelslo', 'v1'],
  ['ClusterRole /modelslo-canary', 'rbac.authorization.k8s.io/v1'],
  ['ClusterRoleBinding /modelslo-canary', 'rbac.authorization.k8s.io/v1'],
  ['ConfigMap modelslo-system/modelslo-config', 'v1'],
  ['Secret modelslo-system/modelslo-token', 'v1'],
  ['PersistentVolumeClaim modelslo-system/modelslo-data', 'v1'],
  ['Deployment modelslo-system/modelslo-daemon', 'apps/v1'],
  ['Service modelslo-system/modelslo-daemon', 'v1'],
  ['ServiceMonitor modelslo-system/modelslo-daemon', 'monitoring.coreos.com/v1'],
  ['PodMonitor modelslo-system/modelslo-sidecars', 'monitoring.coreos.com/v1'],
  ['PrometheusRule payments/modelslo-fraud-detector', 'monitoring.coreos.com/v1'],
  ['PrometheusRule search/modelslo-query-ranker', 'monitoring.coreos.com/v1'],
  ['PrometheusRule growth/modelslo-churn-scorer', 'monitoring.coreos.com/v1'],
  ['GrafanaDashboard modelslo-system/modelslo-executive', 'grafana.integreatly.org/v1beta1'],
  ['GrafanaDashboard modelslo-system/modelslo-oncall', 'grafana.integreatly.org/v1beta1'],
  ['GrafanaDashboard modelslo-system/modelslo-debug', 'grafana.integreatly.org/v1beta1'],
];
/** What the example overlay adds. */
const OVERLAY: Array<[string, string]> = [
  ['Secret payments/modelslo-token', 'v1'],
  ['InferenceService payments/fraud-detector', 'serving.kserve.io/v1beta1'],
];

let base: K8sObject[];
let overlay: K8sObject[];
let overlayText: string;
beforeAll(async () => {
  const [top, b, o] = await Promise.all([kustomize(repoPath('deploy')), kustomize(repoPath('deploy/base')), kustomizeOverlay(TOKEN)]);
  expect(top.text).toBe(b.text);
  base = b.objects;
  overlay = o.objects;
  overlayText = o.text;
});

const ids = (objects: readonly K8sObject[]): Array<[string, string]> => objects.map((o): [string, string] => [objectId(o), o.apiVersion]).sort();
const daemonPod = (objects: readonly K8sObject[]): any => findObject(objects, 'Deployment', 'modelslo-daemon', 'modelslo-system').spec.template.spec;
const predictor = (): any => findObject(overlay, 'InferenceService', 'fraud-detector', 'payments').spec.predictor;
const container = (pod: any, name: string): any => (pod.containers as any[]).find((c) => c.name === name);
const secretKeys = (o: K8sObject): string[] => Object.keys({ ...(o.data ?? {}), ...(o.stringData ?? {}) });

describe('kubectl kustomize builds offline', () => {
  it('deploy/ (= deploy/base) into exactly the expected objects and apiVersions', () => {
    expect(ids(base)).toEqual([...BASE].sort());
  });

  it('deploy/overlays/example into the base plus the InferenceService and its namespace token', () => {
    expect(ids(overlay)).toEqual([...BASE, ...OVERLAY].sort());
  });

  it('the base token is empty (the daemon refuses to start on it) and the overlay fills both from the token file', () => {
    expect(findObject(base, 'Secret', 'modelslo-token').stringData).toEqual({ token: '' });
    for (const ns of ['modelslo-system', 'payments']) {
      const s = findObject(overlay, 'Secret', 'modelslo-token', ns);
      expect(s.stringData).toBeUndefined();
      expect(Buffer.from(s.data.token as string, 'base64').toString('utf8').trim()).toBe(TOKEN);
    }
  });

  it('the image is set by the overlay in both the daemon and the sidecar', () => {
    expect(container(daemonPod(overlay), 'daemon').image).toBe('registry.example.com/modelslo:0.1.0');
    expect(container(predictor(), 'modelslo').image).toBe('registry.example.com/modelslo:0.1.0');
  });
});

describe('the daemon', () => {
  it('is selected by its Service on a named container port, and the ServiceMonitor selects the Service with the token', () => {
    const pod = findObject(base, 'Deployment', 'modelslo-daemon').spec.template;
    const svc = findObject(base, 'Service', 'modelslo-daemon', 'modelslo-system');
    expect(selects(svc.spec.selector, pod.metadata.labels)).toBe(true);
    const ports = container(pod.spec, 'daemon').ports as any[];
    for (const p of svc.spec.ports as any[]) expect(ports.map((c) => c.name)).toContain(p.targetPort);
    const sm = findObject(base, 'ServiceMonitor', 'modelslo-daemon');
    expect(sm.metadata.namespace).toBe(svc.metadata.namespace);
    expect(selects(sm.spec.selector.matchLabels, svc.metadata.labels)).toBe(true);
    for (const e of sm.spec.endpoints as any[]) {
      expect((svc.spec.ports as any[]).map((p) => p.name)).toContain(e.port);
      expect(e.authorization.type).toBe('Bearer');
      expect(secretKeys(findObject(base, 'Secret', e.authorization.credentials.name, sm.metadata.namespace))).toContain(e.authorization.credentials.key);
    }
  });

  it('runs as its ServiceAccount, which the canary ClusterRoleBinding grants', () => {
    const pod = daemonPod(base);
    findObject(base, 'ServiceAccount', pod.serviceAccountName, 'modelslo-system');
    const crb = findObject(base, 'ClusterRoleBinding', 'modelslo-canary');
    expect(crb.subjects).toContainEqual({ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: 'modelslo-system' });
    findObject(base, crb.roleRef.kind, crb.roleRef.name);
  });

  it('reads its config, token and database from volumes that exist, with the keys it names', () => {
    const pod = daemonPod(base);
    const c = container(pod, 'daemon');
    const volume = (name: string): any => (pod.volumes as any[]).find((v) => v.name === name);
    for (const flag of ['--config', '--token-file']) {
      const { volume: v, sub } = mountOf(c, flagValue(c.args, flag));
      const source = volume(v).configMap ?? volume(v).secret;
      const obj = volume(v).configMap ? findObject(base, 'ConfigMap', source.name, 'modelslo-system') : findObject(base, 'Secret', source.secretName, 'modelslo-system');
      const item = (source.items as any[]).find((i) => i.path === sub);
      expect(item, `${flag} ${sub}`).toBeDefined();
      expect(volume(v).configMap ? Object.keys(obj.data) : secretKeys(obj)).toContain(item.key);
    }
    const db = mountOf(c, flagValue(c.args, '--db'));
    findObject(base, 'PersistentVolumeClaim', volume(db.volume).persistentVolumeClaim.claimName, 'modelslo-system');
    expect(c.volumeMounts.find((m: any) => m.name === db.volume).readOnly).toBeUndefined();
  });

  it('listens on all interfaces on its container port, probes /healthz and /readyz there, and outlasts its own shutdown timeout', () => {
    const pod = daemonPod(base);
    const c = container(pod, 'daemon');
    expect(flagValue(c.args, '--listen')).toBe('0.0.0.0:9464');
    const port = (c.ports as any[]).find((p) => p.containerPort === portOf(flagValue(c.args, '--listen')));
    expect(port).toBeDefined();
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: port.name });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: port.name });
    expect(c.startupProbe.httpGet.port).toBe(port.name);
    // src/ops/shutdown.ts gives up after 30 s; the kubelet must not kill the pod before that.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(30);
  });

  it('is non-root with a read-only root filesystem and bounded resources', () => {
    const pod = daemonPod(base);
    const c = container(pod, 'daemon');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c.resources.limits.memory).toBeDefined();
    expect(findObject(base, 'Deployment', 'modelslo-daemon').spec.strategy.type).toBe('Recreate');
  });

  it('takes a config that modelslo validates, listening where the flag says', () => {
    const cm = (base.find((o) => o.kind === 'ConfigMap') as K8sObject).data['modelslo.yaml'] as string;
    const r = parseConfig(cm, 'deploy/base/config/modelslo.yaml');
    expect(r.ok ? [] : r.issues).toEqual([]);
    if (!r.ok) return;
    expect(r.config.daemon.listen).toBe(flagValue(container(daemonPod(base), 'daemon').args, '--listen'));
    expect(cm).toBe(readFileSync(repoPath('deploy/base/config/modelslo.yaml'), 'utf8'));
  });
});

describe('the InferenceService', () => {
  it('has kserve-container first with the one serving port, the sidecar listening on it and proxying the model server', () => {
    const p = predictor();
    expect(p.containers[0].name).toBe('kserve-container');
    const withPorts = (p.containers as any[]).filter((c) => c.ports !== undefined);
    expect(withPorts.map((c) => c.name)).toEqual(['kserve-container']);
    const serving = p.containers[0].ports[0];
    expect(serving.name).toMatch(/^(http1|h2c)$/);
    const side = container(p, 'modelslo');
    expect(side.args[0]).toBe('sidecar');
    expect(portOf(flagValue(side.args, '--listen'))).toBe(serving.containerPort);
    const modelPort = (p.containers[0].args as string[]).find((a) => a.startsWith('--http_port='))?.split('=')[1];
    expect(portOf(flagValue(side.args, '--upstream'))).toBe(Number(modelPort));
    expect(p.containers[0].readinessProbe.httpGet).toEqual({ path: '/readyz', port: serving.containerPort });
    expect(side.livenessProbe.httpGet).toEqual({ path: '/healthz', port: serving.containerPort });
  });

  it('gives the sidecar its namespace from the downward API and its revision from the pod label, never setting K_REVISION', () => {
    const side = container(predictor(), 'modelslo');
    const env = new Map((side.env as any[]).map((e) => [e.name, e]));
    expect(env.get('POD_NAMESPACE').valueFrom.fieldRef.fieldPath).toBe('metadata.namespace');
    expect(env.has('K_REVISION')).toBe(false);
    expect(flagValue(side.args, '--revision')).toBe('$(MODELSLO_REVISION)');
    expect(env.get('MODELSLO_REVISION').valueFrom.fieldRef.fieldPath).toBe("metadata.labels['serving.knative.dev/revision']");
    expect(flagValue(side.args, '--model')).toBe('fraud-detector');
  });

  it('ships to the daemon Service and reads the token of its own namespace', () => {
    const p = predictor();
    const side = container(p, 'modelslo');
    const svc = findObject(overlay, 'Service', 'modelslo-daemon', 'modelslo-system');
    const daemon = new URL(flagValue(side.args, '--daemon'));
    expect(daemon.hostname).toBe(`${svc.metadata.name}.${svc.metadata.namespace}.svc`);
    expect(Number(daemon.port)).toBe(svc.spec.ports[0].port);
    const { volume, sub } = mountOf(side, flagValue(side.args, '--token-file'));
    const secret = (p.volumes as any[]).find((v) => v.name === volume).secret;
    expect(secret.items).toContainEqual({ key: 'token', path: sub });
    expect(secretKeys(findObject(overlay, 'Secret', secret.secretName, 'payments'))).toContain('token');
    expect(mountOf(side, '/app/.modelslo/spool/x').volume).toBe((p.volumes as any[]).find((v) => v.emptyDir !== undefined).name);
  });

  it('points KServe\'s logger at the daemon with the token as the Basic password, which the daemon accepts', () => {
    const logger = predictor().logger;
    expect(logger.mode).toBe('all');
    expect(overlayText.match(/\$\{[A-Z_]+\}/g)).toEqual(['${MODELSLO_TOKEN}']);
    // What `envsubst` does at apply time (docs/deploy.md), then what Go's HTTP client sends for user-info.
    const url = new URL((logger.url as string).replace('${MODELSLO_TOKEN}', TOKEN));
    const svc = findObject(overlay, 'Service', 'modelslo-daemon', 'modelslo-system');
    expect([url.hostname, Number(url.port), url.pathname]).toEqual([`${svc.metadata.name}.${svc.metadata.namespace}.svc`, svc.spec.ports[0].port, '/']);
    const basic = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    expect(tokenMatches(basic, TOKEN)).toBe(true);
  });

  it('is scraped by the PodMonitor: its pod label and the serving port name', () => {
    const pm = findObject(overlay, 'PodMonitor', 'modelslo-sidecars');
    const p = predictor();
    expect(pm.spec.namespaceSelector).toEqual({ any: true });
    expect(selects(pm.spec.selector.matchLabels, p.labels)).toBe(true);
    const names = (p.containers as any[]).flatMap((c) => (c.ports ?? []).map((x: any) => x.name));
    for (const e of pm.spec.podMetricsEndpoints as any[]) expect(names).toContain(e.port);
  });
});

describe('the flags the manifests pass are the CLI\'s', () => {
  const longFlags = (register: (p: Command) => void, name: string): string[] => {
    const program = new Command();
    register(program);
    return (program.commands.find((c) => c.name() === name) as Command).options.map((o) => o.long as string);
  };
  it.each([
    ['daemon', registerDaemon, (): string[] => container(daemonPod(base), 'daemon').args],
    ['sidecar', registerSidecar, (): string[] => container(predictor(), 'modelslo').args],
  ] as const)('%s', (name, register, args) => {
    const given = args().filter((a) => a.startsWith('--'));
    expect(given.length).toBeGreaterThan(2);
    expect(given.filter((f) => !longFlags(register, name).includes(f))).toEqual([]);
  });
});

describe('the generated PrometheusRules and GrafanaDashboards', () => {
  const dir = repoPath('deploy/base/generated');
  const onDisk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? onDisk(join(d, e.name)) : [relative(dir, join(d, e.name))]));
  const config = (): ReturnType<typeof mustParse> => mustParse(readFileSync(repoPath('deploy/base/config/modelslo.yaml'), 'utf8'), 'deploy/base/config/modelslo.yaml');

  it('are what `modelslo generate --format prometheus-operator,grafana-operator` writes for the deploy config, byte for byte, nothing else', () => {
    const files = renderArtifacts(generateArtifacts(config(), OPERATOR));
    expect(onDisk(dir).sort()).toEqual(files.map((f) => f.path).sort());
    for (const f of files) expect(readFileSync(join(dir, f.path), 'utf8'), f.path).toBe(f.content);
  });

  it('equal what it writes for examples/modelslo.yaml (the deploy config differs only in addresses)', () => {
    const fromExample = renderArtifacts(generateArtifacts(exampleConfig(), OPERATOR)).filter((f) => /\.(prometheusrule|grafanadashboard)\.yaml$/.test(f.path));
    expect(fromExample.length).toBe(6);
    for (const f of fromExample) expect(readFileSync(join(dir, f.path), 'utf8'), f.path).toBe(f.content);
  });

  it('are every one a resource of the base kustomization', () => {
    const k = parseYaml(readFileSync(repoPath('deploy/base/kustomization.yaml'), 'utf8')) as { resources: string[] };
    const objects = onDisk(dir).filter((p) => !p.startsWith('alertmanager/'));
    expect(k.resources.filter((r) => r.startsWith('generated/')).sort()).toEqual(objects.map((p) => `generated/${p}`).sort());
  });
});
/* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call */
