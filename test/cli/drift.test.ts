/** `modelslo drift` end to end (main() in-process): table, --json, exit codes 0/1/2, CSV, file:line errors. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { normals } from '../drift/datasets.js';

let dir: string;
const rows = (xs: number[], country: (i: number) => string): string => xs.map((x, i) => JSON.stringify({ amount: x, country: country(i) })).join('\n') + '\n';

const run = runCli;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modelslo-drift-cli-'));
  await writeFile(join(dir, 'ref.jsonl'), rows(normals(1, 600), (i) => (i % 3 === 0 ? 'DE' : 'FR')));
  await writeFile(join(dir, 'same.jsonl'), rows(normals(2, 500), (i) => (i % 3 === 0 ? 'DE' : 'FR')));
  await writeFile(join(dir, 'drifted.jsonl'), rows(normals(3, 500, 1), (i) => (i % 3 === 0 ? 'FR' : 'IT')));
  await writeFile(join(dir, 'bad.jsonl'), '{"amount": 1, "country": "DE"}\n{"amount": 2,\n');
  const csv = ['amount,country', ...normals(4, 500, 1).map((x, i) => `${x},${i % 2 === 0 ? 'IT' : '"FR"'}`)].join('\n');
  await writeFile(join(dir, 'drifted.csv'), `${csv}\n`);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('modelslo drift', () => {
  it('exits 0 and prints a table when nothing drifts', async () => {
    const r = await run(['drift', '--reference', join(dir, 'ref.jsonl'), '--current', join(dir, 'same.jsonl')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^feature\s+kind\s+test/);
    expect(r.out).toMatch(/amount\s+numeric\s+ks/);
    expect(r.out).toMatch(/country\s+categorical\s+chi_square/);
    expect(r.out).toContain('dataset: ok');
  });
  it('exits 1 on drift, and --json gives the report', async () => {
    const r = await run(['drift', '--reference', join(dir, 'ref.jsonl'), '--current', join(dir, 'drifted.jsonl'), '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as { level: string; features: Array<{ feature: string; level: string }> };
    expect(report.level).toBe('drift');
    expect(report.features.map((f) => [f.feature, f.level])).toEqual([['amount', 'drift'], ['country', 'drift']]);
  });
  it('reads CSV with a header, detecting numeric columns', async () => {
    const r = await run(['drift', '--reference', join(dir, 'ref.jsonl'), '--current', join(dir, 'drifted.csv'), '--features', 'amount']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/amount\s+numeric\s+ks\s.*drift/);
  });
  it('exits 2 naming the file and line of a bad row', async () => {
    const r = await run(['drift', '--reference', join(dir, 'ref.jsonl'), '--current', join(dir, 'bad.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${join(dir, 'bad.jsonl')}:2: not JSON`);
  });
  it('exits 2 for a missing file and for an unknown feature', async () => {
    expect((await run(['drift', '--reference', join(dir, 'nope.jsonl'), '--current', join(dir, 'same.jsonl')])).code).toBe(2);
    const r = await run(['drift', '--reference', join(dir, 'ref.jsonl'), '--current', join(dir, 'same.jsonl'), '--features', 'nope']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('no feature "nope"');
  });
});
