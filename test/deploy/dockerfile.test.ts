/**
 * The Dockerfile, read as Docker reads it (no Docker engine runs here, so the image is not built):
 * every COPY source exists in the build context (and is not excluded by .dockerignore) or is made
 * by the stage it is copied from; the final stage runs as a non-root user with a HEALTHCHECK and
 * runs the package's `modelslo` bin under an init process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../support/fixtures.js';

interface Instruction {
  op: string;
  args: string;
  line: number;
}
interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (continuation lines joined, comments dropped). */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let pending = '';
  let startLine = 0;
  for (const [i, raw] of text.split('\n').entries()) {
    if (pending === '' && /^\s*(#|$)/.test(raw)) continue;
    if (pending === '') startLine = i + 1;
    pending += raw.replace(/\\$/, ' ');
    if (raw.endsWith('\\')) continue;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(pending);
    pending = '';
    if (m === null) throw new Error(`Dockerfile:${startLine}: not an instruction`);
    const ins = { op: (m[1] as string).toUpperCase(), args: (m[2] as string).trim(), line: startLine };
    if (ins.op === 'FROM') {
      const [base = '', , name] = ins.args.split(/\s+/);
      stages.push({ name: name ?? String(stages.length), base, instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (stage === undefined) throw new Error(`Dockerfile:${startLine}: ${ins.op} before FROM`);
      stage.instructions.push(ins);
    }
  }
  return stages;
}

/** The exec-form JSON array of an instruction. */
const execForm = (args: string): string[] => JSON.parse(args.replace(/^--[a-z-]+=\S+\s+/g, '')) as string[];

const text = readFileSync(repoPath('Dockerfile'), 'utf8');
const stages = parseDockerfile(text);
const final = stages.at(-1) as Stage;
const ignored = readFileSync(repoPath('.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { bin: Record<string, string> };

/** Paths a stage makes: under its WORKDIR, node_modules from `npm ci` and the build's outDir from `npm ci` (its prepare script). */
function madeBy(stage: Stage): string[] {
  const workdir = stage.instructions.find((i) => i.op === 'WORKDIR')?.args ?? '/';
  const runs = stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
  if (!runs.some((r) => /\bnpm ci\b/.test(r))) return [];
  const outDir = (JSON.parse(readFileSync(repoPath('tsconfig.build.json'), 'utf8')) as { compilerOptions: { outDir: string } }).compilerOptions.outDir;
  return [`${workdir}/node_modules`, `${workdir}/${outDir}`];
}

describe('Dockerfile', () => {
  const copies = stages.flatMap((s) => s.instructions.filter((i) => i.op === 'COPY').map((i) => ({ stage: s, ...i })));

  it('is multi-stage: a build stage and a final stage without the toolchain', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(final.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join(' ')).not.toMatch(/\b(g\+\+|make|python3)\b/);
  });

  it.each(copies.map((c) => [`line ${c.line}: COPY ${c.args}`, c] as const))('%s copies what exists', (_name, c) => {
    const parts = c.args.split(/\s+/);
    const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
    const sources = parts.filter((p) => !p.startsWith('--')).slice(0, -1);
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      if (from !== undefined) {
        const stage = stages.find((s) => s.name === from);
        expect(stage, `stage ${from}`).toBeDefined();
        expect(madeBy(stage as Stage)).toContain(src);
      } else {
        expect(existsSync(repoPath(src)), src).toBe(true);
        expect(ignored, `${src} is excluded by .dockerignore`).not.toContain(src.replace(/\/$/, ''));
      }
    }
  });

  it('installs production dependencies only in what the final stage copies', () => {
    const build = stages.find((s) => s.name !== final.name && madeBy(s).length > 0) as Stage;
    expect(build.instructions.some((i) => i.op === 'RUN' && /npm prune --omit=dev|npm ci --omit=dev/.test(i.args))).toBe(true);
    expect(final.instructions.some((i) => i.op === 'ENV' && /NODE_ENV=production/.test(i.args))).toBe(true);
  });

  it('runs the final stage as a numeric non-root user', () => {
    const users = final.instructions.filter((i) => i.op === 'USER').map((i) => i.args);
    const user = users.at(-1) ?? 'root';
    expect(user).toMatch(/^[0-9]+(:[0-9]+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
  });

  it('has a HEALTHCHECK that asks /healthz', () => {
    const hc = final.instructions.find((i) => i.op === 'HEALTHCHECK');
    expect(hc?.args).toMatch(/CMD/);
    expect(final.instructions.some((i) => i.op === 'ENV' && /MODELSLO_HEALTH_URL=http:\/\/127\.0\.0\.1:9464\/healthz/.test(i.args))).toBe(true);
  });

  it('runs the package\'s modelslo bin under tini as PID 1 (signals reach node)', () => {
    const entry = execForm(final.instructions.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]');
    expect(entry.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    expect(final.instructions.some((i) => i.op === 'RUN' && /apt-get install .*\btini\b/.test(i.args))).toBe(true);
    expect(entry[2]).toBe('node');
    const bin = pkg.bin.modelslo as string;
    expect(entry[3]).toBe(`/app/${bin}`);
    expect(existsSync(repoPath(bin))).toBe(true);
    expect(final.instructions.find((i) => i.op === 'WORKDIR')?.args).toBe('/app');
    expect(copies.some((c) => c.stage === final && c.args === 'bin ./bin')).toBe(true);
  });
});

describe('.dockerignore', () => {
  it.each(['node_modules', '.modelslo', 'dist', 'deploy/overlays/example/token'])('keeps %s out of the build context', (path) => {
    expect(ignored).toContain(path);
  });
});
