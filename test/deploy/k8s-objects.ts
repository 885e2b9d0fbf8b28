/** Kubernetes objects as `kubectl kustomize` prints them, and the lookups the manifest test makes. */
/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are read loosely and checked field by field */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { repoPath } from '../support/fixtures.js';

/** One object of a build. */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [field: string]: any };

/** Parses a multi-document YAML stream, failing on any YAML error. */
export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) throw new Error(d.errors.map((e) => e.message).join('\n'));
    return d.toJS() as K8sObject;
  });
}

/** Runs `kubectl kustomize DIR` (offline: no cluster is contacted) and parses the output. */
export async function kustomize(dir: string): Promise<{ text: string; objects: K8sObject[] }> {
  const { stdout } = await promisify(execFile)('kubectl', ['kustomize', dir], { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, KUBECONFIG: '/dev/null' } });
  return { text: stdout, objects: parseObjects(stdout) };
}

/** Builds the example overlay from a copy of deploy/ that holds a token file, as a user would after step 2 of docs/deploy.md. */
export async function kustomizeOverlay(token: string): Promise<{ text: string; objects: K8sObject[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'modelslo-deploy-'));
  try {
    cpSync(repoPath('deploy'), join(dir, 'deploy'), { recursive: true, filter: (src) => !src.endsWith('/overlays/example/token') });
    writeFileSync(join(dir, 'deploy/overlays/example/token'), `${token}\n`);
    return await kustomize(join(dir, 'deploy/overlays/example'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `kind namespace/name`, with the content hash Kustomize appends to generated ConfigMaps cut off. */
export function objectId(o: K8sObject): string {
  const name = o.kind === 'ConfigMap' ? o.metadata.name.replace(/-[a-z0-9]{10}$/, '') : o.metadata.name;
  return `${o.kind} ${o.metadata.namespace ?? ''}/${name}`;
}

/** The one object of `kind` named `name` (in `namespace`); throws naming what is missing. */
export function findObject(objects: readonly K8sObject[], kind: string, name: string, namespace?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${namespace ?? '*'}/${name}, found ${found.length}`);
  return found[0] as K8sObject;
}

/** True when every pair of `selector` is among `labels` (matchLabels semantics). */
export function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** The value that follows `flag` in an argument list. */
export function flagValue(args: readonly string[], flag: string): string {
  const i = args.indexOf(flag);
  const v = i < 0 ? undefined : args[i + 1];
  if (v === undefined) throw new Error(`no ${flag} in ${args.join(' ')}`);
  return v;
}

/** The port number of `host:port` or of a URL. */
export function portOf(address: string): number {
  const url = /^[a-z]+:\/\//.test(address) ? new URL(address) : new URL(`http://${address}`);
  return Number(url.port);
}

/** The volume mount whose path holds `file`, and the path of `file` inside the volume. */
export function mountOf(container: any, file: string): { volume: string; sub: string } {
  const m = (container.volumeMounts as Array<{ name: string; mountPath: string }>).find((v) => file.startsWith(`${v.mountPath}/`));
  if (m === undefined) throw new Error(`no volume mount of container ${container.name as string} holds ${file}`);
  return { volume: m.name, sub: file.slice(m.mountPath.length + 1) };
}
/* eslint-enable @typescript-eslint/no-explicit-any */
