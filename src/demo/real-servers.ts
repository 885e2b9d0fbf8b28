/**
 * The real Prometheus and Alertmanager of the demo: found on PATH, in /usr/bin or through
 * PROMETHEUS_BIN / ALERTMANAGER_BIN, started as child processes on 127.0.0.1 and stopped again
 * (SIGTERM, then SIGKILL after 10 s).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The one command that installs both on Debian and Ubuntu. */
export const INSTALL_COMMAND = 'sudo apt-get install -y prometheus prometheus-alertmanager';

/** The binaries the demo needs, by role: the env override, then the names Debian installs. */
const BINARIES = {
  prometheus: { env: 'PROMETHEUS_BIN', names: ['prometheus'] },
  alertmanager: { env: 'ALERTMANAGER_BIN', names: ['prometheus-alertmanager', 'alertmanager'] },
} as const;

/** A role of a real server the demo starts. */
export type RealServer = keyof typeof BINARIES;

const executable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The path of the binary of `role`, or undefined when there is none. */
export function findBinary(role: RealServer, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const b = BINARIES[role];
  const override = env[b.env];
  if (override !== undefined && override !== '') return executable(override) ? override : undefined;
  const dirs = [...(env.PATH ?? '').split(delimiter).filter((d) => d !== ''), '/usr/bin'];
  for (const name of b.names) for (const d of dirs) if (executable(join(d, name))) return join(d, name);
  return undefined;
}

/** A started child server. */
export interface ChildServer {
  name: string;
  pid: number;
  url: string;
  /** The tail of what it wrote on stdout and stderr. */
  log(): string;
  stop(): Promise<void>;
}

/** Spawns `bin args` (cwd `cwd`) and waits until GET `url`/-/ready answers 200; kills it on failure. */
export async function startChildServer(name: string, bin: string, args: string[], url: string, cwd: string, readyTimeoutMs = 30_000): Promise<ChildServer> {
  const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const add = (c: Buffer): void => void (text = (text + c.toString('utf8')).slice(-100_000));
  child.stdout.on('data', add);
  child.stderr.on('data', add);
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => ((exited = `exited with ${code ?? signal}`), resolve()));
    child.once('error', (err) => ((exited = `could not start: ${err.message}`), resolve()));
  });
  const stop = async (): Promise<void> => {
    if (exited === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited !== undefined) throw new Error(`${name} ${exited} before it was ready:\n${text.slice(-4000)}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} not ready after ${readyTimeoutMs} ms:\n${text.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name, pid: child.pid ?? -1, url, log: () => text, stop };
}
