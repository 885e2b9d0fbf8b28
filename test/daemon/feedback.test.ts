/**
 * POST /v1/feedback on the real daemon (SQLite file, writer thread): labels joined to predictions in
 * either order, idempotent per id, the first label kept; the ingest treatment (401 without the
 * token, size and type limits, fuzzed bodies all 4xx naming the field with nothing stored); the
 * exported counters; retention.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_TYPE } from '../support/events.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { feedbackConfigText, JSON_TYPE, label, predictionEvents } from '../support/feedback.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startTestDaemon('', feedbackConfigText('limits: { body_bytes: 65536, json_depth: 16 }'));
});
afterAll(async () => {
  await d.stop();
});

/* eslint-disable @typescript-eslint/no-explicit-any -- the API's JSON answers are read loosely */
const feedback = async (body: unknown, auth = true): Promise<{ status: number; body: any }> => d.post('/v1/feedback', typeof body === 'string' ? body : JSON.stringify(body), JSON_TYPE, auth);
const ingest = async (events: unknown[]): Promise<void> => {
  const r = await d.post('/v1/events', JSON.stringify(events), BATCH_TYPE);
  expect(r.status).toBe(200);
};
/* eslint-enable @typescript-eslint/no-explicit-any */

function labelRows(): Array<{ request_id: string; label: string; outcome: string | null }> {
  const db = new Database(d.dbFile, { readonly: true });
  try {
    return db.prepare('SELECT request_id, label, outcome FROM labels ORDER BY request_id').all() as Array<{ request_id: string; label: string; outcome: string | null }>;
  } finally {
    db.close();
  }
}

/** The counter modelslo_predictions_labelled_total of a model, revision and outcome on /metrics (0 when absent). */
async function labelled(model: string, revision: string, outcome: string): Promise<number> {
  const text = (await d.get('/metrics')).text;
  const line = text.split('\n').find((l) => l.startsWith('modelslo_predictions_labelled_total{') && l.includes(`model="${model}"`) && l.includes(`revision="${revision}"`) && l.includes(`outcome="${outcome}"`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe('POST /v1/feedback', () => {
  it('answers 401 without the token and stores nothing', async () => {
    const r = await feedback([label('fraud-detector', 'auth-1', 'fraud')], false);
    expect(r.status).toBe(401);
    expect(labelRows().map((l) => l.request_id)).not.toContain('auth-1');
  });

  it('joins a label that arrives after its prediction, at once', async () => {
    await ingest(predictionEvents('fraud-detector', 'after-1', 'fraud'));
    const before = await labelled('fraud-detector', 'fraud-detector-predictor-00001', 'correct');
    const r = await feedback(label('fraud-detector', 'after-1', 'fraud'));
    expect(r).toMatchObject({ status: 200, body: { accepted: 1, stored: 1, duplicates: 0 } });
    expect(r.body.judged).toBeGreaterThanOrEqual(1);
    expect(labelRows().find((l) => l.request_id === 'after-1')?.outcome).toBe('correct');
    expect(await labelled('fraud-detector', 'fraud-detector-predictor-00001', 'correct')).toBe(before + 1);
  });

  it('joins a label that arrived before its prediction when the prediction comes, by the periodic join', { timeout: 20_000 }, async () => {
    const r = await feedback([label('fraud-detector', 'before-1', 'legit', { time: '2026-12-01T10:00:00Z' })]);
    expect(r.status).toBe(200);
    expect(labelRows().find((l) => l.request_id === 'before-1')?.outcome).toBeNull();
    const before = await labelled('fraud-detector', 'fraud-detector-predictor-00002', 'incorrect');
    await ingest(predictionEvents('fraud-detector', 'before-1', 'fraud', { revision: 'fraud-detector-predictor-00002' }));
    // No further request: the daemon's own pass (every 5 s) judges it.
    const deadline = Date.now() + 15_000;
    while (labelRows().find((l) => l.request_id === 'before-1')?.outcome == null && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
    expect(labelRows().find((l) => l.request_id === 'before-1')?.outcome).toBe('incorrect');
    expect(await labelled('fraud-detector', 'fraud-detector-predictor-00002', 'incorrect')).toBe(before + 1);
  });

  it('waits for the response: a prediction with only its request stored is not judged', async () => {
    const [request] = predictionEvents('fraud-detector', 'half-1', 'fraud');
    await ingest([request]);
    await feedback(label('fraud-detector', 'half-1', 'fraud'));
    await d.daemon.correctness.join();
    expect(labelRows().find((l) => l.request_id === 'half-1')?.outcome).toBeNull();
  });

  it('is idempotent per id: the same label again is a duplicate, counted once', async () => {
    await ingest(predictionEvents('amount-estimator', 'idem-1', 10.25));
    const first = await feedback(label('amount-estimator', 'idem-1', 10.5));
    expect(first.body).toMatchObject({ stored: 1, duplicates: 0 });
    const correct = await labelled('amount-estimator', 'amount-estimator-predictor-00001', 'correct');
    const again = await feedback([label('amount-estimator', 'idem-1', 10.5), label('amount-estimator', 'idem-1', 10.5)]);
    expect(again).toMatchObject({ status: 200, body: { accepted: 2, stored: 0, duplicates: 2 } });
    await d.daemon.correctness.join();
    expect(await labelled('amount-estimator', 'amount-estimator-predictor-00001', 'correct')).toBe(correct);
  });

  it('keeps the first label: a different one for the same id is 409 naming the item, and nothing of that request is stored', async () => {
    const r = await feedback([label('amount-estimator', 'idem-fresh', 3), label('amount-estimator', 'idem-1', 99)]);
    expect(r.status).toBe(409);
    expect(r.body.error).toMatch(/^body\[1\]\.label: request id "idem-1" of payments\/amount-estimator already has the label 10\.5/);
    const rows = labelRows();
    expect(rows.map((l) => l.request_id)).not.toContain('idem-fresh');
    expect(rows.find((l) => l.request_id === 'idem-1')?.label).toBe('10.5');
  });

  it('refuses two different labels for one id in one request, naming both items', async () => {
    const r = await feedback([label('fraud-detector', 'twice-1', 'fraud'), label('fraud-detector', 'twice-1', 'legit')]);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('body[1].label: "legit" differs from the label "fraud" of the same id in body[0]');
  });

  it('judges a numeric prediction correct within the tolerance and incorrect beyond it', async () => {
    const rev = 'amount-estimator-predictor-00001';
    const [c, i] = [await labelled('amount-estimator', rev, 'correct'), await labelled('amount-estimator', rev, 'incorrect')];
    await ingest([...predictionEvents('amount-estimator', 'tol-in', 100), ...predictionEvents('amount-estimator', 'tol-out', 100)]);
    const r = await feedback([label('amount-estimator', 'tol-in', 100.5), label('amount-estimator', 'tol-out', 100.75)]);
    expect(r.status).toBe(200);
    expect(await labelled('amount-estimator', rev, 'correct')).toBe(c + 1);
    expect(await labelled('amount-estimator', rev, 'incorrect')).toBe(i + 1);
  });

  it.each([
    ['an unknown model, by name', [label('no-such-model', 'x', 'a')], 400, 'body[0].model: no model payments/no-such-model in the config'],
    ['a text label for a numeric model', label('amount-estimator', 'x', 'ten'), 400, "body.label: must be a finite number (the model's predictions are numeric)"],
    ['an empty array', [], 400, 'body: an empty array (send at least one label)'],
    ['JSON too deep', `${'['.repeat(18)}1${']'.repeat(18)}`, 400, 'body: JSON nested deeper than 16 levels'],
    ['not JSON', '{"namespace":', 400, 'body: not valid JSON'],
  ])('refuses %s with a 4xx naming the field', async (_name, body, status, error) => {
    const r = await feedback(body);
    expect(r.status).toBe(status);
    expect(r.body.error).toContain(error);
    expect(r.body.stored).toBe(0);
  });

  it('refuses another content type (415) and a body over daemon.limits.body_bytes (413)', async () => {
    const wrongType = await d.post('/v1/feedback', JSON.stringify(label('fraud-detector', 'ct', 'a')), { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    const big = await feedback(Array.from({ length: 2000 }, (_, i) => label('fraud-detector', `big-${i}`, 'fraud')));
    expect(big.status).toBe(413);
    expect(labelRows().map((l) => l.request_id)).not.toContain('big-0');
  });
});

/** Field → values that are invalid for it (for the categorical model). */
const BAD: Record<string, unknown[]> = {
  namespace: ['', 7, null, ['payments'], 'x'.repeat(1100)],
  model: ['', false, {}, 'unknown-model'],
  id: ['', 12, null, 'x'.repeat(1100), []],
  label: [null, {}, [], '', 'x'.repeat(1100)],
  time: ['yesterday', '2026-13-45T00:00:00Z', '2026-12-01', 1700000000, ''],
};
const REQUIRED = ['namespace', 'model', 'id', 'label'];

describe('fuzzed feedback bodies', () => {
  it('get a 4xx naming the item and the field, and store nothing', { timeout: 60_000 }, async () => {
    const cases = fc.record({ size: fc.integer({ min: 1, max: 6 }), at: fc.nat(), kind: fc.constantFrom('missing', 'bad', 'extra', 'not-object'), pick: fc.nat(), pick2: fc.nat(), single: fc.boolean() });
    const samples = fc.sample(cases, { numRuns: 60, seed: 20261201 });
    const before = labelRows().length;
    for (const c of samples) {
      const items: unknown[] = Array.from({ length: c.size }, (_, i) => label('fraud-detector', `fz-${c.pick}-${i}`, 'fraud'));
      const i = c.at % c.size;
      const single = c.single && c.size === 1;
      const item = items[i] as Record<string, unknown>;
      let field: string;
      if (c.kind === 'missing') {
        field = REQUIRED[c.pick % REQUIRED.length] ?? 'id';
        delete item[field];
      } else if (c.kind === 'bad') {
        const fields = Object.keys(BAD);
        field = fields[c.pick % fields.length] ?? 'id';
        const values = BAD[field] ?? [];
        item[field] = values[c.pick2 % values.length];
      } else if (c.kind === 'extra') {
        field = 'labels';
        item.labels = 'fraud';
      } else {
        field = '';
        items[i] = c.pick % 2 === 0 ? 'fraud' : null;
      }
      const at = single ? 'body' : `body[${i}]`;
      const r = await feedback(single ? items[0] : items);
      const what = `${c.kind} ${field} at ${at}: ${JSON.stringify(r.body)}`;
      expect(r.status, what).toBeGreaterThanOrEqual(400);
      expect(r.status, what).toBeLessThan(500);
      expect(String(r.body.error), what).toMatch(new RegExp(`^${at.replace(/[[\]]/g, '\\$&')}${field === '' ? ':' : `\\.${field}:`}`));
      expect(r.body.stored, what).toBe(0);
    }
    expect(labelRows().length).toBe(before);
  });
});

describe('retention of labels', () => {
  it('drops judged labels with the records and labels still waiting with the payloads; the counters stay', async () => {
    const counted = await labelled('fraud-detector', 'fraud-detector-predictor-00001', 'correct');
    expect(counted).toBeGreaterThan(0);
    const waiting = labelRows().filter((l) => l.outcome === null).length;
    expect(waiting).toBeGreaterThan(0);
    // A payload horizon in the future takes every unjoined label; an aggregate horizon in the past keeps the judged ones.
    await d.daemon.store.applyRetention(Date.now() + 60_000, 0);
    expect(labelRows().filter((l) => l.outcome === null)).toEqual([]);
    expect(labelRows().length).toBeGreaterThan(0);
    await d.daemon.store.applyRetention(0, Date.now() + 60_000);
    expect(labelRows()).toEqual([]);
    expect(await labelled('fraud-detector', 'fraud-detector-predictor-00001', 'correct')).toBe(counted);
  });
});
