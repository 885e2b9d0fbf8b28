/** Config files that are wrong in the ways operators get them wrong, through the built `modelslo validate`: exact messages and exit codes. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneModelText, repoPath } from '../support/fixtures.js';
import { buildCli } from '../support/daemon.js';

const run = promisify(execFile);

async function validate(file: string): Promise<{ code: number; stderr: string; ms: number }> {
  const t0 = Date.now();
  try {
    await run('node', [repoPath('bin/modelslo.js'), 'validate', '-c', file]);
    return { code: 0, stderr: '', ms: Date.now() - t0 };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr, ms: Date.now() - t0 };
  }
}

let tmp = '';
beforeAll(async () => {
  // The command runs from dist/: build it once per test process (npm ci also does, via prepare).
  buildCli();
  tmp = await mkdtemp(join(tmpdir(), 'modelslo-config-errors-'));
}, 120_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A YAML "billion laughs": nine levels of ten aliases each (10^9 strings if expanded). */
function aliasBomb(): string {
  const lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
  lines.push('models: *a8', '');
  return lines.join('\n');
}

describe('modelslo validate on bad files', () => {
  it.each([
    ['a quoted number', '"99.9"', 'models[0].slos[0].objective: must be a number, got a string ("99.9")'],
    ['a list', '[99.9]', 'models[0].slos[0].objective: must be a number, got a list'],
    ['null', '~', 'models[0].slos[0].objective: must be a number, got null'],
  ])('names expected and got when objective is %s, and exits 1', async (_name, value, message) => {
    const file = join(tmp, `objective-${_name.replace(/\W+/g, '-')}.yaml`);
    await writeFile(file, oneModelText({ slos: `      - { name: availability, objective: ${value}, window: 28d, sli: { availability: {} } }\n` }));
    const r = await validate(file);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${file}:10:42: ${message}\n${file}: 1 problem; nothing was generated or started\n`);
  });

  it('still says "is required" of a field that is missing', async () => {
    const file = join(tmp, 'missing.yaml');
    await writeFile(file, oneModelText({ slos: '      - { name: availability, window: 28d, sli: { availability: {} } }\n' }));
    const r = await validate(file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(': models[0].slos[0].objective: is required\n');
  });

  it('refuses a YAML alias bomb with a message and exit 1, not a stack trace', async () => {
    const file = join(tmp, 'bomb.yaml');
    await writeFile(file, aliasBomb());
    const r = await validate(file);
    expect(r.stderr).toBe(`${file}:1:1: (yaml): aliases expand past the limit of 100 (a YAML alias bomb?): refused\n${file}: 1 problem; nothing was generated or started\n`);
    expect(r.code).toBe(1);
  });

  it('refuses a 20 MB file at once, naming the limit, with exit 1', async () => {
    const file = join(tmp, 'huge.yaml');
    const model = '  - { name: m, namespace: ns, owners: [{ team: t, receiver: oncall }], slos: [{ name: a, objective: 99.9, window: 28d, sli: { availability: {} } }] }\n';
    const text = `alerting:\n  oncall_receiver: oncall\nmodels:\n${model.repeat(Math.ceil((20 * 1024 * 1024) / model.length))}`;
    await writeFile(file, text);
    const r = await validate(file);
    expect(r.stderr).toBe(`${file}: ${Buffer.byteLength(text)} bytes, over the config file limit of 1048576 bytes (1 MiB); nothing was generated or started\n`);
    expect(r.code).toBe(1);
    // Node's start-up alone is ~0.3 s; parsing the file took over 40 s. Generous for a busy machine.
    expect(r.ms).toBeLessThan(10_000);
  });
});
