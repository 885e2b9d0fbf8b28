/**
 * Vitest global setup: before any test file runs, checks that the real tools the tests use are
 * installed, and stops the whole run at once with one message naming the missing ones and the
 * command that installs them (instead of a hundred failing tests).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PYTHON } from '../support/scipy.js';

/** A command the tests run, and the Debian package that has it. */
const COMMANDS: Array<[command: string, pkg: string]> = [
  [process.env.PROMETHEUS_BIN ?? 'prometheus', 'prometheus'],
  [process.env.PROMTOOL_BIN ?? 'promtool', 'prometheus'],
  [process.env.ALERTMANAGER_BIN ?? 'prometheus-alertmanager', 'prometheus-alertmanager'],
  ['amtool', 'prometheus-alertmanager'],
  ['chromium', 'chromium'],
  ['kubectl', 'kubernetes-client'],
  ['openssl', 'openssl'],
];

/** Python modules of Debian's /usr/bin/python3 the oracles import, and their packages. */
const MODULES: Array<[module: string, pkg: string]> = [
  ['scipy', 'python3-scipy'],
  ['sklearn', 'python3-sklearn'],
  ['kubernetes', 'python3-kubernetes'],
];

function onPath(command: string): boolean {
  const candidates = command.includes('/') ? [command] : (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, command));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The missing tools, as "command (package)" texts. */
export function missingTools(): string[] {
  const missing = COMMANDS.filter(([cmd]) => !onPath(cmd)).map(([cmd, pkg]) => `${cmd} (${pkg})`);
  if (!onPath(PYTHON)) return [...missing, `${PYTHON} (python3)`];
  const probe = spawnSync(PYTHON, ['-c', `import importlib.util, sys; print(",".join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))`, ...MODULES.map(([m]) => m)], { encoding: 'utf8' });
  const absent = new Set((probe.stdout ?? '').trim().split(',').filter((m) => m !== ''));
  return [...missing, ...MODULES.filter(([m]) => absent.has(m)).map(([m, pkg]) => `python module ${m} for ${PYTHON} (${pkg})`)];
}

/** Vitest's global setup hook. */
export default function setup(): void {
  const missing = missingTools();
  if (missing.length === 0) return;
  throw new Error(
    `the tests run against real tools, and these are missing: ${missing.join(', ')}.\n` +
      'Install them (Debian/Ubuntu, as root or with sudo) with:\n\n  bash scripts/install-test-tools.sh\n',
  );
}
