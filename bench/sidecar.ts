/**
 * Sidecar benchmark, load generated on loopback by this process against servers in child processes:
 *   D      direct to the model server (test/support/model-server.ts, V2 infer);
 *   P0     a null proxy on the sidecar's HTTP stack (node:http server + undici Pool), no metrics, no capture;
 *   P0b    P0 reading each request body whole before asking, as the sidecar does for bodies of a known
 *          length up to 64 KiB: S / P0b is the cost of the sidecar's own work on the same transport;
 *   N      a naive proxy: node:http server, http.request + pipe;
 *   nginx  Debian's nginx (/usr/sbin/nginx, one worker process) as a keep-alive reverse proxy in front
 *          of the same model server, when installed (config in a temp dir; skipped with a note when absent);
 *   S      the sidecar with capture on at sample rate 1, shipping every batch to a capture sink (a
 *          process of its own that counts the events of each batch and answers 200, as a daemon on
 *          another host would) and tracing on at its default head-sampling ratio (0.1);
 *   S.1    the same at sample rate 0.1;  S-off  capture off (sample rate 0);
 *   S-red  sample rate 1 with a redaction rule (hash tensor `x`): its bodies are parsed, redacted and
 *          shipped as CloudEvents, so S-red − S is the cost of parsing and redaction.
 * Every S variant's CPU includes its capture worker thread and the shipping (/proc/<pid>/stat counts
 * every thread of the process); nginx's is its worker process's. Measured: latency at a fixed 1,000
 * rps (µs resolution, hdr-histogram-js; from actual send, so not corrected for coordinated omission),
 * saturation throughput (autocannon, 32 connections), CPU per 1,000 rps (from /proc), and S's RSS
 * over a soak. With taskset, each proxy runs on CPU 1 alone and everything else on CPU 0 (see PIN).
 * Median of 5 interleaved runs. At the end each S is stopped gracefully (it flushes) and
 * the exchanges it served are compared with the events the sink received. The issue's targets are
 * printed as PASS or MISS; a miss never fails the run. This file is also the children's entry point
 * (env MODELSLO_BENCH_ROLE), so bench/ holds one module for the sidecar.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import * as hdr from 'hdr-histogram-js';
import { Pool, request as undiciRequest } from 'undici';
import { CAPTURE_BATCH_TYPE } from '../src/ingest/capture-batch.js';
import { resolveOptions } from '../src/sidecar/options.js';
import { startSidecar } from '../src/sidecar/sidecar.js';
import { startModelServer } from '../test/support/model-server.js';

/** MODELSLO_BENCH_QUICK=1: one short run, to check the benchmark itself (its figures mean little). */
const QUICK = process.env.MODELSLO_BENCH_QUICK === '1';
const RUNS = QUICK ? 1 : 5;
const RATE = 1_000;
const FIXED_SECONDS = QUICK ? 1 : 4;
const SATURATION_SECONDS = QUICK ? 1 : 3;
const SOAK_SECONDS = QUICK ? 10 : 30;
const NGINX = '/usr/sbin/nginx';
/**
 * MODELSLO_BENCH_CASES=S,S-off: only these of the peers and sidecar variants (D and P0, the
 * references, always run; targets whose cases did not run are left out).
 */
const CASES = process.env.MODELSLO_BENCH_CASES?.split(',').map((c) => c.trim()).filter((c) => c !== '');
/**
 * With taskset (util-linux) and at least 2 CPUs, the proxy under test gets CPU 1 to itself (every
 * thread of it: the capture worker and shipping too), and the load generator (this process), the
 * model server and the capture sink share CPU 0, so each proxy's figures are those of one core and
 * not of how the scheduler shared two. MODELSLO_BENCH_PIN=0 leaves scheduling to the OS.
 */
const TASKSET = '/usr/bin/taskset';
const PIN = process.env.MODELSLO_BENCH_PIN !== '0' && cpus().length >= 2 && existsSync(TASKSET);
const LOAD_CPU = '0';
const PROXY_CPU = '1';
/** The command that runs `argv` on `cpu` when pinning, else `argv` itself. */
const pinned = (cpu: string, argv: string[]): [string, string[]] => (PIN ? [TASKSET, ['-c', cpu, ...argv]] : [argv[0] ?? '', argv.slice(1)]);
const wanted = (k: string): boolean => k === 'D' || k === 'P0' || CASES === undefined || CASES.includes(k);
const BODY = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 8], data: [1, 2, 3, 4, 5, 6, 7, 8] }] });
const PATH = '/v2/models/bench-model/infer';
const HEADERS = { 'content-type': 'application/json' };

async function listen(handler: Parameters<typeof createServer>[1]): Promise<number> {
  const server = createServer({ keepAliveTimeout: 65_000 }, handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** Child entry: starts one server and prints `READY <port>`. */
async function child(role: string): Promise<void> {
  const upstream = process.env.MODELSLO_BENCH_UPSTREAM ?? '';
  let port: number;
  if (role === 'model') {
    const m = await startModelServer({ record: false });
    port = m.port;
  } else if (role === 'sink') {
    // The capture sink: counts each batch's events by the sidecar's path prefix and acknowledges it,
    // like a daemon that keeps up (it reads the compact batch's header line; JSON batches it parses).
    const received = new Map<string, number>();
    port = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = req.url ?? '/';
        if (req.method === 'GET') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Object.fromEntries(received)));
        const who = url.split('/')[1] ?? '';
        if (url.endsWith('/v1/events')) received.set(who, (received.get(who) ?? 0) + eventsIn(req.headers['content-type'], Buffer.concat(chunks)));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
  } else if (role === 'p0') {
    const pool = new Pool(upstream, { connections: 256 });
    port = await listen((req, res) => {
      pool
        .request({ path: req.url ?? '/', method: 'POST', headers: req.headers, body: req })
        .then((up) => {
          res.writeHead(up.statusCode, up.headers as Record<string, string>);
          up.body.pipe(res);
        })
        .catch(() => res.writeHead(502).end());
    });
  } else if (role === 'p0b') {
    // P0 reading each request body whole before asking (as the sidecar does up to 64 KiB): the same
    // transport as S, so S / P0b is the cost of the sidecar's own work (metrics, capture, tracing).
    const pool = new Pool(upstream, { connections: 256 });
    port = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        pool
          .request({ path: req.url ?? '/', method: 'POST', headers: req.headers, body: Buffer.concat(chunks) })
          .then((up) => {
            res.writeHead(up.statusCode, up.headers as Record<string, string>);
            up.body.pipe(res);
          })
          .catch(() => res.writeHead(502).end());
      });
    });
  } else if (role === 'n') {
    const target = new URL(upstream);
    port = await listen((req, res) => {
      const p = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      p.on('error', () => res.writeHead(502).end());
      req.pipe(p);
    });
  } else {
    const dir = await mkdtemp(join(tmpdir(), 'modelslo-bench-'));
    const opts = resolveOptions({ upstream, daemon: process.env.MODELSLO_BENCH_DAEMON ?? '', listen: { host: '127.0.0.1', port: 0 }, namespace: 'bench', token: 't' }, undefined, {});
    opts.capture.spoolDir = dir;
    // The steady state is measured: no cold-start window after the predictor answers ready (during
    // one, each request also counts in the cold-start metrics: one more bound observe and tally).
    opts.readiness.warmupMs = 0;
    opts.fallbackCapture = { sampleRate: Number(process.env.MODELSLO_BENCH_SAMPLE ?? '1'), redact: process.env.MODELSLO_BENCH_REDACT === '1' ? [{ path: 'x', action: 'hash' }] : [] };
    const sidecar = await startSidecar(opts);
    port = sidecar.port;
    // Stopped gracefully on SIGTERM (so `node --cpu-prof` writes the profiles of both threads).
    process.once('SIGTERM', () => void sidecar.close(2_000).then(() => process.exit(0)));
  }
  if (role !== 's') process.once('SIGTERM', () => process.exit(0));
  process.stdout.write(`READY ${port}\n`);
}

/**
 * Events in one shipped batch: two per exchange of a compact batch (counted from its header line
 * alone: the sink stands in for a daemon on another host, so it spends as little of this machine's
 * CPU as it can), else the JSON array's length.
 */
function eventsIn(type: string | undefined, body: Buffer): number {
  try {
    if (type === CAPTURE_BATCH_TYPE) {
      const end = body.indexOf(0x0a);
      return 2 * (JSON.parse(body.toString('utf8', 0, end < 0 ? body.length : end)) as { exchanges: unknown[] }).exchanges.length;
    }
    return (JSON.parse(body.toString('utf8')) as unknown[]).length;
  } catch {
    return 0;
  }
}

interface Proc {
  proc: ChildProcess;
  url: string;
  /** The process whose CPU is counted (nginx: its worker), when not `proc`. */
  cpuPid?: number;
  stop?: () => Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/**
 * nginx as a keep-alive reverse proxy in front of `upstream` (one worker process, access log off,
 * HTTP/1.1 with pooled upstream connections), or undefined when it is not installed.
 */
async function startNginx(upstream: string): Promise<Proc | undefined> {
  if (!existsSync(NGINX)) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'modelslo-bench-nginx-'));
  const port = await freePort();
  const target = new URL(upstream);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, [
    'daemon off;', 'master_process on;', 'worker_processes 1;', 'user root;', `pid ${dir}/nginx.pid;`, `error_log ${dir}/error.log warn;`,
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
    '  keepalive_requests 1000000; keepalive_timeout 65s;',
    `  upstream model { server ${target.hostname}:${target.port}; keepalive 256; keepalive_requests 1000000; }`,
    `  server { listen 127.0.0.1:${port}; location / { proxy_pass http://model; proxy_http_version 1.1; proxy_set_header Connection ""; } }`,
    '}',
  ].join('\n'));
  const [cmd, args] = pinned(PROXY_CPU, [NGINX, '-p', dir, '-c', conf, '-e', join(dir, 'error.log')]);
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const r = await undiciRequest(`http://127.0.0.1:${port}/v2/health/ready`);
      await r.body.dump();
      break;
    } catch (err) {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`nginx did not start (see ${dir}/error.log)`, { cause: err });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const children = readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  return {
    proc,
    url: `http://127.0.0.1:${port}`,
    ...(children[0] === undefined ? {} : { cpuPid: children[0] }),
    stop: async () => {
      proc.kill('SIGQUIT');
      await new Promise((r) => setTimeout(r, 500));
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function start(role: string, env: Record<string, string> = {}): Promise<Proc> {
  const [cmd, args] = pinned(role === 'model' || role === 'sink' ? LOAD_CPU : PROXY_CPU, [process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url)]);
  const proc = spawn(cmd, args, { env: { ...process.env, ...env, MODELSLO_BENCH_ROLE: role }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.once('exit', (code) => reject(new Error(`bench child ${role} exited with ${code}`)));
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /READY (\d+)/.exec(out);
      if (m !== null) resolve({ proc, url: `http://127.0.0.1:${m[1]}` });
    });
  });
}

/** CPU seconds (user + system) of a process, from /proc/<pid>/stat (clock ticks at 100 Hz). */
function cpuSeconds(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMb(pid: number | undefined): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) / 1024;
}

/** Open-ish loop at `rate` rps for `seconds`: sends what is due each millisecond tick. */
async function fixedRate(url: string, seconds: number, rate = RATE): Promise<{ p50: number; p99: number; done: number; answered: number; errors: number }> {
  const pool = new Pool(url, { connections: 64 });
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let sent = 0;
  let done = 0;
  let errors = 0;
  let answered = 0;
  const t0 = performance.now();
  const total = rate * seconds;
  const inflight: Array<Promise<void>> = [];
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      while (sent < due) {
        sent += 1;
        const s = performance.now();
        inflight.push(
          pool.request({ path: PATH, method: 'POST', headers: HEADERS, body: BODY }).then(
            async (r) => {
              await r.body.dump();
              answered += 1;
              h.recordValue(Math.max(1, Math.round((performance.now() - s) * 1000)));
              done += r.statusCode === 200 ? 1 : 0;
              errors += r.statusCode === 200 ? 0 : 1;
            },
            () => void (errors += 1),
          ),
        );
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  await Promise.all(inflight);
  await pool.close();
  const out = { p50: h.getValueAtPercentile(50), p99: h.getValueAtPercentile(99), done, answered, errors };
  h.destroy();
  return out;
}

async function saturation(url: string): Promise<{ rps: number; ok: number }> {
  const r = await autocannon({ url: `${url}${PATH}`, method: 'POST', headers: HEADERS, body: BODY, connections: 32, duration: SATURATION_SECONDS });
  return { rps: r.requests.average, ok: r['2xx'] + r.non2xx };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** The sidecar variants: case name, what it is, its sample rate, whether it redacts. */
const VARIANTS: Array<[string, string, number, boolean]> = [
  ['S', 'sidecar, capture at sample rate 1 + metrics + tracing (0.1)', 1, false],
  ['S.1', 'sidecar, capture at sample rate 0.1', 0.1, false],
  ['S-off', 'sidecar, capture off (sample rate 0)', 0, false],
  ['S-red', 'sidecar, sample rate 1, one redaction rule (bodies parsed)', 1, true],
];

type Field = 'p50' | 'p99' | 'cpu' | 'rps';

/** Runs the benchmark and returns its table. */
export async function run(progress: (message: string) => void): Promise<string> {
  const load = loadavg();
  // This process (every thread) joins the model server and the sink on CPU 0.
  if (PIN) spawnSync(TASKSET, ['-a', '-pc', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
  const model = await start('model');
  const sink = await start('sink');
  const procs: Proc[] = [model, sink];
  const notes: string[] = [];
  try {
    const p0 = await start('p0', { MODELSLO_BENCH_UPSTREAM: model.url });
    procs.push(p0);
    const targets: Array<[string, Proc]> = [['D', model], ['P0', p0]];
    if (wanted('P0b')) {
      const p0b = await start('p0b', { MODELSLO_BENCH_UPSTREAM: model.url });
      procs.push(p0b);
      targets.push(['P0b', p0b]);
    }
    if (wanted('N')) {
      const n = await start('n', { MODELSLO_BENCH_UPSTREAM: model.url });
      procs.push(n);
      targets.push(['N', n]);
    }
    const nginx = !wanted('nginx') ? undefined : await startNginx(model.url).catch((err: unknown) => {
      notes.push(`note: nginx is installed but did not start (${err instanceof Error ? err.message : String(err)}): its row is skipped.`);
      return undefined;
    });
    if (nginx !== undefined) {
      procs.push(nginx);
      targets.push(['nginx', nginx]);
    } else if (wanted('nginx') && !existsSync(NGINX)) notes.push(`note: nginx is not installed (${NGINX}; Debian package nginx): its row is skipped.`);
    for (const [k, , rate, redact] of VARIANTS.filter(([k]) => wanted(k))) {
      const v = await start('s', { MODELSLO_BENCH_UPSTREAM: model.url, MODELSLO_BENCH_DAEMON: `${sink.url}/${k}`, MODELSLO_BENCH_SAMPLE: String(rate), MODELSLO_BENCH_REDACT: redact ? '1' : '0' });
      procs.push(v);
      targets.push([k, v]);
    }
    const served = new Map<string, number>(targets.map(([k]) => [k, 0]));
    const count = (k: string, ok: number): void => void served.set(k, (served.get(k) ?? 0) + ok);
    progress(`load average ${load.map((l) => l.toFixed(2)).join(' ')}; warm-up`);
    for (const [k, t] of targets) count(k, (await fixedRate(t.url, 1)).answered);
    const lat = new Map<string, Record<Field, number[]>>(targets.map(([k]) => [k, { p50: [], p99: [], cpu: [], rps: [] }]));
    for (let i = 1; i <= RUNS; i++) {
      for (const [k, t] of targets) {
        const pid = t.cpuPid ?? t.proc.pid;
        const c0 = cpuSeconds(pid);
        const r = await fixedRate(t.url, FIXED_SECONDS);
        const cores = (cpuSeconds(pid) - c0) / FIXED_SECONDS;
        count(k, r.answered);
        const m = lat.get(k);
        m?.p50.push(r.p50);
        m?.p99.push(r.p99);
        m?.cpu.push(k === 'D' ? Number.NaN : (cores * 1000) / RATE);
        if (r.errors > 0) progress(`${k}: ${r.errors} errors`);
      }
      for (const [k, t] of targets) {
        const r = await saturation(t.url);
        count(k, r.ok);
        lat.get(k)?.rps.push(r.rps);
      }
      progress(`run ${i}/${RUNS} (load ${loadavg()[0]?.toFixed(2)}): ${targets.map(([k]) => `${k} p99 ${lat.get(k)?.p99.at(-1)} µs, ${Math.round(lat.get(k)?.rps.at(-1) ?? 0)} rps`).join('; ')}`);
    }
    const s = targets.find(([k]) => k === 'S')?.[1];
    const rss: number[] = [];
    if (s !== undefined) {
      progress(`RSS soak of S: ${SOAK_SECONDS} s at ${RATE} rps`);
      rss.push(rssMb(s.proc.pid));
      for (let t = 0; t < SOAK_SECONDS; t += 10) {
        count('S', (await fixedRate(s.url, 10)).answered);
        rss.push(rssMb(s.proc.pid));
      }
    }
    // Each sidecar stops gracefully (SIGTERM: drain, flush the capture queue, ship), then the sink is asked what it got.
    progress('stopping the sidecars (they flush their captures)');
    await Promise.all(targets.filter(([k]) => k.startsWith('S')).map(([, t]) => new Promise<void>((resolve) => (t.proc.exitCode !== null ? resolve() : (t.proc.once('exit', () => resolve()), t.proc.kill('SIGTERM'))))));
    const got = (await (await undiciRequest(`${sink.url}/counts`)).body.json()) as Record<string, number>;

    const med = (k: string, f: Field): number => median(lat.get(k)?.[f] ?? []);
    const has = (k: string): boolean => lat.has(k);
    const ratio = (a: number, b: number): string => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '');
    const row = (k: string, name: string): string[] => [
      k, name, String(med(k, 'p50')), String(med(k, 'p99')), Math.round(med(k, 'rps')).toString(), ratio(med(k, 'rps'), med('P0', 'rps')),
      k === 'D' ? '' : med(k, 'cpu').toFixed(3), k === 'D' ? '' : ratio(med(k, 'cpu'), med('P0', 'cpu')),
    ];
    const satP0 = med('S', 'rps') / med('P0', 'rps');
    const satN = med('S', 'rps') / med('N', 'rps');
    const cpuP0 = med('S', 'cpu') / med('P0', 'cpu');
    const addP99 = (med('S', 'p99') - med('P0', 'p99')) / 1000;
    const addP50 = (med('S', 'p50') - med('P0', 'p50')) / 1000;
    const rssGrowth = (rss.at(-1) ?? 0) - (rss[1] ?? 0);
    // Per captured request: the CPU S spends over S-off at the same rate, in µs (1,000 rps for 1 s).
    const perCapture = (k: string): string => `${((med(k, 'cpu') - med('S-off', 'cpu')) * 1000).toFixed(0)} µs`;
    const lost = (k: string, rate: number): string[] => {
      const sent = 2 * (served.get(k) ?? 0) * rate;
      const received = got[k] ?? 0;
      return [`${k}: events sent (2 per exchange answered${rate < 1 ? ` × ${rate}, expected` : ''}) vs received by the sink`, `${Math.round(sent)} vs ${received}`, rate < 1 ? (Math.abs(received - sent) <= Math.max(50, sent * 0.05) ? 'PASS' : 'MISS') : verdict(received >= sent)];
    };
    return [
      `${cpus().length} CPUs, ${PIN ? `each proxy pinned to CPU ${PROXY_CPU} alone, load generator, model server and sink on CPU ${LOAD_CPU} (taskset)` : 'no pinning'}, load average ${load.map((l) => l.toFixed(2)).join(' ')} at start (${loadavg()[0]?.toFixed(2)} at the end); median of ${RUNS} interleaved runs; fixed rate ${RATE} rps for ${FIXED_SECONDS} s; saturation: autocannon 32 connections × ${SATURATION_SECONDS} s`,
      '',
      table([
        ['case', 'what', `p50 µs @${RATE}`, `p99 µs @${RATE}`, 'saturation rps', 'vs P0', 'cores per 1,000 rps', 'vs P0'],
        row('D', 'direct to the model server'),
        row('P0', 'null proxy, same HTTP stack (node:http + undici)'),
        ...(has('P0b') ? [row('P0b', 'P0 reading request bodies whole first, as S does')] : []),
        ...(has('N') ? [row('N', 'naive proxy (http.request + pipe)')] : []),
        ...(has('nginx') ? [row('nginx', 'nginx keep-alive reverse proxy, 1 worker')] : []),
        ...VARIANTS.filter(([k]) => has(k)).map(([k, what]) => row(k, what)),
      ]),
      '',
      table([
        ['cost', 'measured'],
        ...(has('S') && has('S-off') ? [['capture at sample rate 1, per captured request (S − S-off cores per 1,000 rps)', perCapture('S')]] : []),
        ...(has('S-red') && has('S-off') ? [['capture with a redaction rule, per captured request (S-red − S-off)', perCapture('S-red')]] : []),
        ...(has('S-red') && has('S') ? [['parsing and redaction alone, per captured request (S-red − S)', `${((med('S-red', 'cpu') - med('S', 'cpu')) * 1000).toFixed(0)} µs`]] : []),
        ...(has('P0b') && has('S') ? [['S / P0b (the sidecar\'s own work on the same transport): saturation, cores per 1,000 rps', `${ratio(med('S', 'rps'), med('P0b', 'rps'))}, ${ratio(med('S', 'cpu'), med('P0b', 'cpu'))}`]] : []),
        ...(has('nginx') && has('S') ? [['S / nginx: saturation, cores per 1,000 rps', `${ratio(med('S', 'rps'), med('nginx', 'rps'))}, ${ratio(med('S', 'cpu'), med('nginx', 'cpu'))}`]] : []),
      ]),
      '',
      table([
        ['target (issue)', 'measured', 'verdict'],
        ...(has('S')
          ? [
              ['S saturation ≥ 0.80 × P0', `${satP0.toFixed(2)}×`, verdict(satP0 >= 0.8)],
              ...(has('N') ? [['S saturation ≥ 1.2 × N', `${satN.toFixed(2)}×`, verdict(satN >= 1.2)]] : []),
              ["S CPU per 1,000 rps ≤ 1.25 × P0's (every thread, shipping included)", `${cpuP0.toFixed(2)}×`, verdict(cpuP0 <= 1.25)],
              ["S p99 @1,000 rps ≤ P0's + 1 ms", `+${addP99.toFixed(3)} ms`, verdict(addP99 <= 1)],
              ["S p50 @1,000 rps ≤ P0's + 0.1 ms", `+${addP50.toFixed(3)} ms`, verdict(addP50 <= 0.1)],
              lost('S', 1),
            ]
          : []),
        ...(has('S-red') ? [lost('S-red', 1)] : []),
        ...(has('S.1') ? [lost('S.1', 0.1)] : []),
        ...(has('S') ? [[`S RSS flat over ${SOAK_SECONDS} s (≤ +10% after the first 10 s; an earlier target)`, `${rss.map((r) => r.toFixed(0)).join(' → ')} MB (+${rssGrowth.toFixed(1)})`, verdict(rssGrowth <= (rss[1] ?? 0) * 0.1)]] : []),
      ]),
      '',
      ...notes,
      `note: the load generator shares this ${cpus().length}-core machine with the servers${(load[0] ?? 0) > 1 ? ' and with other work (see the load average)' : ''}; absolute numbers are noisy, ratios from the same run are the guide. A MISS is reported, not failed.`,
    ].join('\n');
  } finally {
    for (const p of procs) {
      if (p.stop !== undefined) await p.stop();
      else p.proc.kill('SIGKILL');
    }
  }
}

const role = process.env.MODELSLO_BENCH_ROLE;
if (role !== undefined) await child(role);
