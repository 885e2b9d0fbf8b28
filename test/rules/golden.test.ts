/**
 * Golden files: every generated artifact compared byte for byte with test/golden/<case>/.
 * UPDATE_GOLDEN=1 npm test -- golden rewrites them (review the diff before committing).
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/model/types.js';
import { renderArtifacts } from '../../src/render/files.js';
import { generateArtifacts, type Formats } from '../../src/rules/generate.js';
import { importOpenSlo } from '../../src/spec/import-openslo.js';
import { importSloth } from '../../src/spec/import-sloth.js';
import type { ParseResult } from '../../src/spec/parse.js';
import { GENERATED_HEADER } from '../../src/render/yaml.js';
import { GENERATED_NOTE } from '../../src/rules/dashboards/common.js';
import { exampleConfig, repoPath } from '../support/fixtures.js';

const update = process.env.UPDATE_GOLDEN === '1';

function imported(file: string, parse: (text: string, file: string) => ParseResult): Config {
  const r = parse(readFileSync(repoPath(`test/golden/import/${file}`), 'utf8'), file);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

const cases: Array<[string, () => Config, Partial<Formats>]> = [
  ['example', exampleConfig, {}],
  ['example-operator', exampleConfig, { rules: 'prometheus-operator', dashboards: 'grafana-operator' }],
  ['sloth', () => imported('sloth.yaml', importSloth), {}],
  ['openslo', () => imported('openslo.yaml', importOpenSlo), {}],
];

describe.each(cases)('golden case %s', (name, config, format) => {
  const files = renderArtifacts(generateArtifacts(config(), format));

  it.each(files.map((f) => [f.path, f.content]))('%s matches its golden file', (path, content) => {
    const golden = join(repoPath(`test/golden/${name}`), path);
    if (update || !existsSync(golden)) {
      if (!update) throw new Error(`no golden file ${golden}; run UPDATE_GOLDEN=1 npx vitest run test/rules/golden.test.ts`);
      mkdirSync(dirname(golden), { recursive: true });
      writeFileSync(golden, content);
    }
    expect(content).toBe(readFileSync(golden, 'utf8'));
  });

  it('is deterministic and stamped as generated', () => {
    const again = renderArtifacts(generateArtifacts(config(), format));
    expect(again).toEqual(files);
    for (const f of files) {
      if (f.path.endsWith('.json')) expect(f.content).toContain(GENERATED_NOTE);
      else expect(f.content.startsWith(`${GENERATED_HEADER}\n`)).toBe(true);
    }
  });
});
