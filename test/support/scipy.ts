/**
 * scipy as a test oracle: runs Debian's /usr/bin/python3 (which has python3-scipy 1.10) once per
 * call with a Python script and a JSON input, and returns the JSON the script's `main(data)`
 * returns. Tests batch every case of a file into one call: one Python process per file, not per
 * assertion. Non-finite floats come back as the strings "NaN", "Infinity", "-Infinity".
 */
import { spawn } from 'node:child_process';

export const PYTHON = process.env.SCIPY_PYTHON ?? '/usr/bin/python3';

// The bootstrap reads one line (the script, JSON-encoded), then the JSON input; it runs the
// script, calls main(data) and prints the result as JSON with non-finite floats spelled out.
const BOOT = [
  'import sys, json, math',
  'script = json.loads(sys.stdin.readline())',
  'data = json.loads(sys.stdin.read())',
  'ns = {}',
  'exec(compile(script, "<test script>", "exec"), ns)',
  'def clean(x):',
  '    if isinstance(x, float) and not math.isfinite(x): return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")',
  '    if isinstance(x, dict): return {k: clean(v) for k, v in x.items()}',
  '    if isinstance(x, (list, tuple)): return [clean(v) for v in x]',
  '    if hasattr(x, "tolist"): return clean(x.tolist())',
  '    return x',
  'sys.stdout.write(json.dumps(clean(ns["main"](data))))',
].join('\n');

/** Runs `script` (Python defining `main(data)`) on `input`; resolves to main's result. */
export function runScipy<T>(script: string, input: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', BOOT], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.once('error', (e) => reject(new Error(`cannot run ${PYTHON}`, { cause: e })));
    child.once('close', (code) => {
      if (code !== 0) {
        reject(new Error(`${PYTHON} exited with ${code}:\n${Buffer.concat(err).toString('utf8')}`));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as T);
      } catch (e) {
        reject(new Error('scipy script printed no JSON', { cause: e }));
      }
    });
    child.stdin.end(`${JSON.stringify(script)}\n${JSON.stringify(input)}`);
  });
}

/** Relative error |a − b| / |b| (absolute when b is 0). */
export function relErr(a: number, b: number): number {
  if (a === b) return 0;
  return b === 0 ? Math.abs(a) : Math.abs(a - b) / Math.abs(b);
}
