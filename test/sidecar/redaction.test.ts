/** Redaction: the rules on V1/V2 bodies and JSON paths, and proof that a redacted value never leaves the process. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redaction } from '../../src/model/types.js';
import { compileRedactions, keyedHash, parseJsonPath, redact, type Json } from '../../src/sidecar/redact.js';
import { startSidecar, type Sidecar } from '../../src/sidecar/sidecar.js';
import { startEventReceiver, type EventReceiver } from '../support/event-receiver.js';
import { mustParse, oneModelText } from '../support/fixtures.js';
import { startModelServer, type ModelServer } from '../support/model-server.js';
import { send, tempDir, testOptions, waitFor } from './helpers.js';

const key = Buffer.from('k');
const h = (v: unknown): string => keyedHash(key, v);

describe('redaction rules', () => {
  const cases: Array<[string, Redaction[], Json, Json, string[]]> = [
    ['drops a V1 instance key', [{ path: 'ssn', action: 'drop' }], { instances: [{ ssn: '1', a: 1 }, { ssn: '2', a: 2 }] }, { instances: [{ a: 1 }, { a: 2 }] }, ['ssn']],
    ['hashes a V1 instance key', [{ path: 'ssn', action: 'hash' }], { instances: [{ ssn: '1' }] }, { instances: [{ ssn: h('1') }] }, ['ssn']],
    ['drops a V2 input tensor by name', [{ path: 'ssn', action: 'drop' }], { inputs: [{ name: 'ssn', datatype: 'BYTES', shape: [1], data: ['1'] }, { name: 'x', datatype: 'FP32', shape: [1], data: [1] }] }, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] }, ['ssn']],
    ['hashes each element of a V2 tensor', [{ path: 'ssn', action: 'hash' }], { inputs: [{ name: 'ssn', datatype: 'BYTES', shape: [2], data: ['1', '2'] }] }, { inputs: [{ name: 'ssn', datatype: 'BYTES', shape: [2], data: [h('1'), h('2')] }] }, ['ssn']],
    ['follows a JSON path with a wildcard', [{ path: '$.instances[*].card.number', action: 'hash' }], { instances: [{ card: { number: 42 } }, { card: {} }] }, { instances: [{ card: { number: h(42) } }, { card: {} }] }, ['$.instances[*].card.number']],
    ['drops array elements by index', [{ path: "$['rows'][1]", action: 'drop' }], { rows: [1, 2, 3] }, { rows: [1, 3] }, ["$['rows'][1]"]],
    ['reports nothing when nothing matches', [{ path: 'ssn', action: 'drop' }], { instances: [[1, 2]] }, { instances: [[1, 2]] }, []],
  ];
  it.each(cases)('%s', (_name, rules, body, expected, matched) => {
    const copy = structuredClone(body);
    expect(redact(copy, compileRedactions(rules), key)).toEqual(matched);
    expect(copy).toEqual(expected);
  });

  it.each(['instances', '$.a..b', '$.a[x]', '$'])('rejects the JSON path "%s" with a message naming it', (path) => {
    expect(() => parseJsonPath(path)).toThrow(path);
  });

  it('hashes with the key: other keys give other hashes, equal values equal ones', () => {
    expect(keyedHash(key, 'x')).toBe(keyedHash(key, 'x'));
    expect(keyedHash(Buffer.from('other'), 'x')).not.toBe(keyedHash(key, 'x'));
  });
});

describe('a redacted value never reaches the daemon or the spool', () => {
  const SECRET = 'SECRET-078-05-1120';
  const CARD = '4111111111111111';
  let model: ModelServer;
  let receiver: EventReceiver;
  let sidecar: Sidecar;
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const config = mustParse(
      oneModelText({
        slos: '      - { name: availability, objective: 99.9, sli: { availability: {} } }',
        extra: ['    capture:', '      sample_rate: 1', '      redact:', '        - { path: ssn, action: drop }', '        - { path: card, action: hash }'].join('\n'),
      }),
    );
    model = await startModelServer();
    receiver = await startEventReceiver();
    await receiver.down();
    ({ dir, cleanup } = await tempDir());
    sidecar = await startSidecar(testOptions(model.url, receiver.url, dir, config), { tracing: false });
  });
  afterAll(async () => {
    await sidecar.close(2_000);
    await model.stop();
    await receiver.down();
    await cleanup();
  });

  it('spools and then ships events without the secret, while the predictor still gets it', async () => {
    const bodies = [
      { instances: [{ ssn: SECRET, card: CARD, amount: 12 }] },
      { inputs: [{ name: 'ssn', datatype: 'BYTES', shape: [1], data: [SECRET] }, { name: 'amount', datatype: 'FP32', shape: [1, 1], data: [12] }] },
    ];
    const paths = ['/v1/models/fraud-detector:predict', '/v2/models/fraud-detector/infer'];
    for (const [i, body] of bodies.entries()) {
      const r = await send(`${sidecar.url}${paths[i] ?? ''}`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(r.status).toBe(200);
    }
    // A truncated JSON body cannot be parsed, so it cannot be redacted: it must be withheld.
    await send(`${sidecar.url}/echo`, { headers: { 'content-type': 'application/json' }, body: `{"ssn":"${SECRET}","pad":"${'x'.repeat(100_000)}"}` });
    expect(model.seen.filter((s) => s.body.toString().includes(SECRET))).toHaveLength(3);
    sidecar.flushQueue();
    // All six events spooled (a batch may be cut by the batch timer between requests): `<seq>-<events>.batch.json`.
    const spooledEvents = async (): Promise<number> => (await readdir(dir)).filter((f) => f.endsWith('.batch.json')).reduce((n, f) => n + Number(f.split('-')[1]?.split('.')[0] ?? 0), 0);
    await waitFor('all six events spooled', async () => (await spooledEvents()) === 6);
    const spooled = await Promise.all((await readdir(dir)).map((f) => readFile(join(dir, f), 'utf8')));
    expect(spooled.join('')).toContain('hmac-sha256:');
    expect(spooled.join('')).not.toContain(SECRET);
    expect(spooled.join('')).not.toContain(CARD);

    await receiver.up();
    await waitFor('all six events', () => receiver.events().length === 6, 20_000);
    const wire = receiver.received.map((r) => r.body.toString()).join('');
    expect(wire).not.toContain(SECRET);
    expect(wire).not.toContain(CARD);
    const v1 = receiver.events().find((e) => e.modelslopath === paths[0] && e.type === 'org.kubeflow.serving.inference.request');
    expect(v1?.data).toEqual({ instances: [{ card: keyedHash(Buffer.from('test-key'), CARD), amount: 12 }] });
    expect(v1?.modelsloredacted).toBe('ssn,card');
    const truncated = receiver.events().find((e) => e.modelslopath === '/echo' && e.type === 'org.kubeflow.serving.inference.request');
    expect(truncated).toMatchObject({ modelslotruncated: true, modelsloredacted: '*' });
    expect(truncated?.data_base64).toBeUndefined();
    expect(await sidecar.metrics.captured('redacted')).toBeGreaterThanOrEqual(4);
  });
});
