/**
 * A real Alertmanager (Debian's /usr/bin/prometheus-alertmanager, 0.25) for tests: started on
 * 127.0.0.1 with a free port, clustering off, a temp storage dir and the given config; stopped
 * with its temp dir removed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/model/types.js';
import { renderYaml } from '../../src/render/yaml.js';
import { routingWithTimers } from '../../src/demo/accelerate.js';
import { generateArtifacts } from '../../src/rules/generate.js';
import { freePort } from './free-port.js';

export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

/** A running Alertmanager. */
export interface AlertmanagerServer {
  url: string;
  log(): string;
  stop(): Promise<void>;
}

/** Starts Alertmanager with the config text and waits for /-/ready. */
export async function startAlertmanager(configYaml: string): Promise<AlertmanagerServer> {
  const dir = await mkdtemp(join(tmpdir(), 'modelslo-alertmanager-'));
  const configFile = join(dir, 'alertmanager.yml');
  await writeFile(configFile, configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(ALERTMANAGER_BIN, [`--config.file=${configFile}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=debug'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (c: Buffer) => (log = (log + c.toString('utf8')).slice(-200_000)));
  child.stderr.on('data', (c: Buffer) => (log = (log + c.toString('utf8')).slice(-200_000)));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) throw new Error(`alertmanager exited before it was ready:\n${log}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`alertmanager not ready after 20 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    log: () => log,
    async stop() {
      if (!exited) child.kill('SIGTERM');
      await exit;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The Alertmanager config `modelslo generate` writes for `config`, with every group_wait,
 * group_interval and repeat_interval shortened to 1s so tests take seconds (the routing itself is
 * left as generated).
 */
export function generatedRoutingForTests(config: Config): string {
  return renderYaml(routingWithTimers(generateArtifacts(config), '1s'));
}
