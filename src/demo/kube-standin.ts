/**
 * A STAND-IN for the Kubernetes API server, serving KServe InferenceServices
 * (`serving.kserve.io/v1beta1`) and Events (`events.k8s.io/v1`) over plain HTTP on 127.0.0.1, for
 * tests and the demo where no kube-apiserver can run. It is not Kubernetes: it serves the few
 * endpoints canary analysis uses (legacy discovery, GET/list with label selectors and Tables, merge
 * and JSON patches with resourceVersion preconditions, Events), answers errors with Status objects
 * worded as the real server's, authenticates bearer tokens and authorizes verbs per resource, and
 * plays KServe's controller for the traffic status. It is checked with kubectl and the Python
 * `kubernetes` client (test/k8s/kube-standin.test.ts). Not served: watch, create/update/delete of
 * InferenceServices, server-side apply, OpenAPI documents (404; kubectl get/patch do without them).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type Json, mergePatch } from './json-patch.js';
import { applyIsvcPatch } from './kube-isvc-patch.js';
import { IsvcStore, type IsvcSeed, type KubeObject, obj, text } from './kube-isvc-store.js';
import * as st from './kube-status.js';
import { type KubeStatus } from './kube-status.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, eventTable, isvcTable, matchesSelector, parseLabelSelector,
  servedGroup, VERSION_INFO, wantsTable } from './kube-views.js';
import { normalizeMicroTime, validateEvent } from './kube-event-check.js';
import type { TlsPair } from './kube-standin-tls.js';

/** A bearer token, the user it authenticates, and the verbs it may use per resource (RBAC in miniature). */
export interface StandinUser {
  token: string;
  /** e.g. `system:serviceaccount:modelslo-system:modelslo`. */
  user: string;
  verbs: Partial<Record<'inferenceservices' | 'events', string[]>>;
}

/** A failure to inject: the next `times` requests with this verb (and resource) fail with `status`. */
export interface Fault {
  verb: 'get' | 'list' | 'patch' | 'create';
  resource?: 'inferenceservices' | 'events';
  /** HTTP status to answer; without one the request proceeds after `before` ran. */
  status?: number;
  times?: number;
  /** Runs before the request is handled: a concurrent writer acting between a client's read and write. */
  before?: () => void;
}

/** One request the stand-in received. */
export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  verb: string;
  contentType: string | undefined;
  accept: string | undefined;
  body: string;
  status: number;
  user: string | undefined;
}

/** Options of the stand-in. */
export interface KubeStandinOptions {
  users: StandinUser[];
  isvcs?: IsvcSeed[];
  /** Serve HTTPS with this key and certificate (kubectl sends tokens only over TLS); HTTP without. */
  tls?: TlsPair;
}

const BODY_LIMIT = 3 * 1024 * 1024; // the API server's request body limit (3 MiB)
const ISVC = { group: 'serving.kserve.io', resource: 'inferenceservices' };
const EVENTS = { group: 'events.k8s.io', resource: 'events' };

type Reply = { status: number; body: Json | KubeStatus };
type Route = { verb: string; resource?: 'inferenceservices' | 'events'; namespace?: string; name?: string; handle: () => Reply };

/** The running stand-in: its URL, its state for tests to read, and test controls. */
export class KubeStandin {
  readonly store = new IsvcStore();
  readonly events: KubeObject[] = [];
  readonly requests: LoggedRequest[] = [];
  private readonly faults: (Fault & { times: number })[] = [];
  private server: Server | undefined;
  private port = 0;

  private constructor(private readonly options: KubeStandinOptions) {
    for (const seed of options.isvcs ?? []) this.store.create(seed);
  }

  /** Starts a stand-in on 127.0.0.1 on a free port. */
  static async start(options: KubeStandinOptions): Promise<KubeStandin> {
    const standin = new KubeStandin(options);
    const handler = (req: IncomingMessage, res: ServerResponse): void => { void standin.serve(req, res); };
    const server = options.tls === undefined ? createServer(handler) : createTlsServer({ key: options.tls.key, cert: options.tls.cert }, handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    standin.server = server;
    standin.port = (server.address() as AddressInfo).port;
    return standin;
  }

  /** `https://127.0.0.1:PORT` (or `http://` without TLS). */
  get url(): string {
    return `${this.options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${this.port}`;
  }

  /** Makes the next matching request(s) fail or lets a concurrent change happen first. */
  failNext(fault: Fault): void {
    this.faults.push({ ...fault, times: fault.times ?? 1 });
  }

  /** Drops the faults not yet used up. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Creates an InferenceService (as its owner would). */
  createIsvc(seed: IsvcSeed): KubeObject {
    return this.store.create(seed);
  }

  /** A copy of one stored InferenceService. */
  isvc(namespace: string, name: string): KubeObject | undefined {
    return this.store.get(namespace, name);
  }

  /** Applies a merge patch as another client would (e.g. someone moving the canary percent by hand). */
  edit(namespace: string, name: string, patch: Json): KubeObject {
    const current = this.store.get(namespace, name);
    const result = current === undefined ? undefined : this.store.commit(namespace, name, mergePatch(current, patch) as KubeObject);
    if (result === undefined || result === 'conflict') throw new Error(`stand-in: cannot edit InferenceService ${namespace}/${name}`);
    return result;
  }

  /** As if the user applied a new predictor spec with this canary percent (null: none). */
  rolloutRevision(namespace: string, name: string, canaryTrafficPercent: number | null): KubeObject {
    return this.store.rolloutRevision(namespace, name, canaryTrafficPercent);
  }

  /** Stops listening. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams);
    const entry: LoggedRequest = { method: req.method ?? 'GET', path: url.pathname, query, verb: '', contentType: req.headers['content-type'],
      accept: req.headers.accept, body: '', status: 0, user: undefined };
    this.requests.push(entry);
    let reply: Reply;
    try {
      entry.body = await readBody(req);
      reply = this.dispatch(req, url, entry);
    } catch (err) {
      reply = err instanceof TooLarge ? { status: 413, body: { ...st.badRequest(`Request entity too large: limit is ${BODY_LIMIT}`), code: 413, reason: 'RequestEntityTooLarge' } }
        : { status: 500, body: { ...st.injected(500, ISVC), message: `stand-in error: ${String(err)}` } };
    }
    entry.status = reply.status;
    res.writeHead(reply.status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.end(JSON.stringify(reply.body));
  }

  private dispatch(req: IncomingMessage, url: URL, entry: LoggedRequest): Reply {
    const user = this.authenticate(req.headers.authorization);
    if (user === undefined) return { status: 401, body: st.unauthorized() };
    entry.user = user.user;
    const route = this.route(req.method ?? 'GET', url, req.headers, entry.body);
    entry.verb = route.verb;
    if (route.resource !== undefined) {
      const allowed = user.verbs[route.resource] ?? [];
      if (!allowed.includes(route.verb)) {
        const target = { ...(route.resource === 'events' ? EVENTS : ISVC), ...(route.name === undefined ? {} : { name: route.name }) };
        return { status: 403, body: st.forbidden(target, user.user, route.verb, route.namespace) };
      }
      const fault = this.faults.find((f) => f.verb === route.verb && (f.resource ?? 'inferenceservices') === route.resource);
      if (fault !== undefined) {
        fault.times -= 1;
        if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
        fault.before?.();
        if (fault.status !== undefined) {
          const target = { ...(route.resource === 'events' ? EVENTS : ISVC), ...(route.name === undefined ? {} : { name: route.name }) };
          return { status: fault.status, body: st.injected(fault.status, target) };
        }
      }
    }
    return route.handle();
  }

  private authenticate(header: string | undefined): StandinUser | undefined {
    const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    return token === undefined ? undefined : this.options.users.find((u) => u.token === token);
  }

  private route(method: string, url: URL, headers: IncomingMessage['headers'], body: string): Route {
    const p = url.pathname.replace(/\/+$/, '') || '/';
    const ok = (b: Json): (() => Reply) => () => ({ status: 200, body: b });
    const notFound = (): Reply => ({ status: 404, body: st.pathNotFound() });
    if (method === 'GET') {
      if (p === '/version') return { verb: 'get', handle: ok(VERSION_INFO) };
      if (p === '/api') return { verb: 'get', handle: ok(apiVersions(`127.0.0.1:${this.port}`)) };
      if (p === '/apis') return { verb: 'get', handle: ok(apiGroupList()) };
      const group = /^\/apis\/([^/]+)$/.exec(p);
      const served = group === null ? undefined : servedGroup(group[1] ?? '');
      if (served !== undefined) return { verb: 'get', handle: ok(apiGroup(served.name, served.version)) };
      const resources = apiResourceList(p === '/api/v1' ? 'v1' : p.replace(/^\/apis\//, ''));
      if (resources !== undefined) return { verb: 'get', handle: ok(resources) };
    }
    const ns = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(p);
    if (ns !== null && method === 'GET') return { verb: 'get', handle: () => this.getNamespace(ns[1] ?? '') };
    const isvc = /^\/apis\/serving\.kserve\.io\/v1beta1\/(?:namespaces\/([^/]+)\/)?inferenceservices(?:\/([^/]+))?$/.exec(p);
    if (isvc !== null) {
      const [, namespace, name] = isvc;
      if (name !== undefined && namespace !== undefined) {
        if (method === 'GET') return { verb: 'get', resource: 'inferenceservices', namespace, name, handle: () => this.getIsvc(namespace, name, headers.accept) };
        if (method === 'PATCH') {
          return { verb: 'patch', resource: 'inferenceservices', namespace, name, handle: () => this.patchIsvc(namespace, name, headers['content-type'], body) };
        }
      } else if (name === undefined && method === 'GET') {
        if (url.searchParams.get('watch') === 'true') return { verb: 'watch', resource: 'inferenceservices', ...(namespace === undefined ? {} : { namespace }), handle: () => ({ status: 405, body: st.methodNotAllowed() }) };
        return { verb: 'list', resource: 'inferenceservices', ...(namespace === undefined ? {} : { namespace }),
          handle: () => this.listIsvcs(namespace, url.searchParams.get('labelSelector') ?? '', headers.accept) };
      }
      return { verb: method.toLowerCase(), handle: () => ({ status: 405, body: st.methodNotAllowed() }) };
    }
    const events = /^\/apis\/events\.k8s\.io\/v1\/(?:namespaces\/([^/]+)\/)?events$/.exec(p);
    if (events !== null) {
      const namespace = events[1];
      if (method === 'POST' && namespace !== undefined) return { verb: 'create', resource: 'events', namespace, handle: () => this.createEvent(namespace, body) };
      if (method === 'GET') {
        const items = this.events.filter((e) => namespace === undefined || obj(e.metadata).namespace === namespace);
        return { verb: 'list', resource: 'events', ...(namespace === undefined ? {} : { namespace }),
          handle: () => {
            const rv = this.store.currentResourceVersion();
            return { status: 200, body: wantsTable(headers.accept) ? eventTable(items, rv)
              : { kind: 'EventList', apiVersion: 'events.k8s.io/v1', metadata: { resourceVersion: rv }, items: structuredClone(items) } };
          } };
      }
    }
    return { verb: method.toLowerCase(), handle: notFound };
  }

  /** Namespaces exist when they hold an InferenceService, and the usual system ones (kubectl asks after a 404). */
  private getNamespace(name: string): Reply {
    const known = new Set(['default', 'kube-system', 'modelslo-system', ...this.store.list().map((o) => text(obj(o.metadata).namespace))]);
    if (!known.has(name)) return { status: 404, body: st.notFound({ group: '', resource: 'namespaces', name }) };
    return { status: 200, body: { kind: 'Namespace', apiVersion: 'v1', metadata: { name }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } } };
  }

  private getIsvc(namespace: string, name: string, accept: string | undefined): Reply {
    const found = this.store.get(namespace, name);
    if (found === undefined) return { status: 404, body: st.notFound({ ...ISVC, name }) };
    return { status: 200, body: wantsTable(accept) ? isvcTable([found], this.store.currentResourceVersion()) : found };
  }

  private listIsvcs(namespace: string | undefined, selector: string, accept: string | undefined): Reply {
    let requirements;
    try {
      requirements = parseLabelSelector(selector);
    } catch (err) {
      return { status: 400, body: st.badRequest(`unable to parse requirement: ${(err as Error).message}`) };
    }
    const items = this.store.list(namespace).filter((o) => matchesSelector(obj(obj(o.metadata).labels), requirements));
    const rv = this.store.currentResourceVersion();
    if (wantsTable(accept)) return { status: 200, body: isvcTable(items, rv) };
    return { status: 200, body: { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceServiceList', metadata: { resourceVersion: rv }, items } };
  }

  private patchIsvc(namespace: string, name: string, contentType: string | undefined, body: string): Reply {
    const current = this.store.get(namespace, name);
    if (current === undefined) return { status: 404, body: st.notFound({ ...ISVC, name }) };
    const patched = applyIsvcPatch(current, contentType, body);
    if ('status' in patched) return patched;
    const result = this.store.commit(namespace, name, patched.object);
    if (result === undefined) return { status: 404, body: st.notFound({ ...ISVC, name }) };
    if (result === 'conflict') return { status: 409, body: st.conflict({ ...ISVC, name }) };
    return { status: 200, body: result };
  }

  private createEvent(namespace: string, body: string): Reply {
    let event: KubeObject;
    try {
      event = JSON.parse(body) as KubeObject;
    } catch (err) {
      return { status: 400, body: st.badRequest(`error decoding Event: ${(err as Error).message}`) };
    }
    const problem = validateEvent(event, namespace);
    if (problem !== undefined) return problem;
    const meta = obj(event.metadata);
    const name = typeof meta.name === 'string' && meta.name !== '' ? meta.name : `${text(meta.generateName)}${Math.random().toString(36).slice(2, 7)}`;
    const stored: KubeObject = { ...event, apiVersion: 'events.k8s.io/v1', kind: 'Event', eventTime: normalizeMicroTime(text(event.eventTime)),
      metadata: { ...meta, name, namespace, uid: randomUUID(), resourceVersion: this.store.nextResourceVersion(),
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } };
    this.events.push(stored);
    return { status: 201, body: structuredClone(stored) };
  }
}

class TooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT) chunks.push(chunk);
    });
    req.on('end', () => (size > BODY_LIMIT ? reject(new TooLarge()) : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}
