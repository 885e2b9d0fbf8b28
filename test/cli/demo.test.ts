/** `modelslo demo`: the main job on embedded defaults, run whole. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG, runDemo } from '../../src/cli/demo.js';

let out = '';
afterAll(async () => {
  if (out !== '') await rm(out, { recursive: true, force: true });
});

describe('modelslo demo', () => {
  it('pages on the availability burn, tickets the drift to the owners and writes the generated files', { timeout: 120_000 }, async () => {
    out = await mkdtemp(join(tmpdir(), 'modelslo-demo-'));
    const progress: string[] = [];
    const printed: string[] = [];
    await runDemo({ config: EXAMPLE_CONFIG, out }, (s) => progress.push(s), (s) => printed.push(s));
    const text = printed.join('\n');
    expect(progress.filter((p) => /^\[\d\/5\]/.test(p))).toHaveLength(6);
    expect(text).toMatch(/1000 requests through the sidecar, \d+ answered 5xx/);
    expect(text).toMatch(/availability .*→ would fire: page 1h\/5m/);
    expect(text).toMatch(/Drift of all traffic .*: DRIFT/);
    expect(text).toMatch(/amount .*drift {2}→ ModelDrift ticket to fraud-ml/);
    expect(existsSync(join(out, 'generated/rules/payments-fraud-detector.rules.yaml'))).toBe(true);
    expect(existsSync(join(out, 'generated/dashboards/modelslo-oncall.json'))).toBe(true);
    expect(text).toMatch(/Postmortem draft \(modelslo report\): .*report\.md/);
    expect(existsSync(join(out, 'report/report.md'))).toBe(true);
    expect(existsSync(join(out, 'report/charts/error-ratio.svg'))).toBe(true);
  });
});
