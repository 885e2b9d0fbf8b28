/**
 * The Kubernetes Python client (/usr/bin/python3, the `kubernetes` package) as an independent reader
 * of the built manifests: every core object, and the InferenceService's containers and volumes,
 * is read into the client's typed models and written back; a field the models do not know (a
 * misspelling, a field at the wrong level) is lost on that round trip and reported by its path.
 * Custom resources other than the predictor's pod parts have no models there.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runScipy } from '../support/scipy.js';
import { kustomizeOverlay, objectId, type K8sObject } from './k8s-objects.js';

const SCRIPT = String.raw`
import json
from kubernetes import client

api = client.ApiClient()
MODELS = {'Namespace': 'V1Namespace', 'ServiceAccount': 'V1ServiceAccount', 'ClusterRole': 'V1ClusterRole',
          'ClusterRoleBinding': 'V1ClusterRoleBinding', 'ConfigMap': 'V1ConfigMap', 'Secret': 'V1Secret',
          'PersistentVolumeClaim': 'V1PersistentVolumeClaim', 'Deployment': 'V1Deployment', 'Service': 'V1Service'}

class Response:
    def __init__(self, obj): self.data = json.dumps(obj)

def round_trip(obj, model):
    return api.sanitize_for_serialization(api.deserialize(Response(obj), model))

def lost(a, b, path):
    out = []
    if isinstance(a, dict):
        for k, v in a.items():
            if not isinstance(b, dict) or k not in b: out.append(path + '.' + k)
            else: out += lost(v, b[k], path + '.' + k)
    elif isinstance(a, list):
        for i, v in enumerate(a):
            out += lost(v, b[i] if isinstance(b, list) and i < len(b) else None, '%s[%d]' % (path, i))
    return out

def main(items):
    result = {}
    for item in items:
        o = item['object']
        if o['kind'] in MODELS:
            result[item['id']] = lost(o, round_trip(o, MODELS[o['kind']]), '')
        elif o['kind'] == 'InferenceService':
            p = o['spec']['predictor']
            paths = []
            for i, c in enumerate(p['containers']): paths += lost(c, round_trip(c, 'V1Container'), '.spec.predictor.containers[%d]' % i)
            for i, v in enumerate(p.get('volumes', [])): paths += lost(v, round_trip(v, 'V1Volume'), '.spec.predictor.volumes[%d]' % i)
            result[item['id']] = paths
    return result
`;

let objects: K8sObject[];
beforeAll(async () => {
  objects = (await kustomizeOverlay('0123456789abcdef')).objects;
});

describe('the Kubernetes Python client reads the example overlay', () => {
  it('keeps every field of every core object and of the predictor\'s containers and volumes', async () => {
    const items = objects.map((o) => ({ id: objectId(o), object: o }));
    const lost = await runScipy<Record<string, string[]>>(SCRIPT, items);
    const checked = Object.keys(lost);
    expect(checked.filter((id) => id.startsWith('Deployment ') || id.startsWith('InferenceService ') || id.startsWith('Service '))).toHaveLength(3);
    expect(Object.entries(lost).filter(([, paths]) => paths.length > 0)).toEqual([]);
  });

  it('reports a misspelled field by its path (the check can fail)', async () => {
    const deployment = structuredClone(objects.find((o) => o.kind === 'Deployment') as K8sObject);
    const c = deployment.spec.template.spec.containers[0];
    c.readynessProbe = c.readinessProbe;
    delete c.readinessProbe;
    const lost = await runScipy<Record<string, string[]>>(SCRIPT, [{ id: 'bad', object: deployment }]);
    expect(lost.bad).toEqual(['.spec.template.spec.containers[0].readynessProbe']);
  });
});
