/**
 * KServe's payload logger cannot send a bearer token, but Go's HTTP client sends a URL's user-info
 * as HTTP Basic auth: the daemon takes the token as the Basic password (any user name). Events here
 * have KServe's logger header set; curl, which turns user-info into Basic auth as Go does, is the
 * independent client of the URL form.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenMatches } from '../../src/ops/secrets.js';
import { kserveHeaders } from '../support/events.js';
import { startTestDaemon, TEST_TOKEN, type TestDaemon } from '../support/daemon.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startTestDaemon();
});
afterAll(async () => {
  await d.stop();
});

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
const REQUEST = JSON.stringify({ instances: [{ amount: 12.5, country: 'NL' }] });
const RESPONSE = JSON.stringify({ predictions: [0.3] });

async function predictionState(id: string): Promise<string | undefined> {
  const r = await d.get('/api/v1/models/payments/fraud-detector/predictions?limit=1000');
  expect(r.status).toBe(200);
  return (r.body as { items: Array<{ requestId: string; state: string }> }).items.find((i) => i.requestId === id)?.state;
}

/**
 * POSTs one event with curl to a URL that carries `user:password@` (curl sends it as Basic auth, as
 * Go's client does). Asynchronously: the daemon answers from this process's event loop.
 */
async function curlWithUserInfo(userInfo: string, kind: 'request' | 'response', id: string, body: string): Promise<{ status: number; challenge: string }> {
  const url = d.url.replace('http://', `http://${userInfo}@`) + '/';
  const headers = Object.entries(kserveHeaders(kind, id)).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const r = await promisify(execFile)('curl', ['-sS', '--max-time', '20', '-D', '-', '-o', '/dev/null', '-X', 'POST', ...headers, '--data-binary', body, url], { encoding: 'utf8' });
  const status = Number(/^HTTP\/1\.1 (\d{3})/m.exec(r.stdout)?.[1]);
  return { status, challenge: /^www-authenticate: (.*)\r?$/im.exec(r.stdout)?.[1]?.trim() ?? '' };
}

describe('KServe logger events with the token as the Basic-auth password', () => {
  it('stores a request and its response sent to http://modelslo:TOKEN@daemon/ and joins them', async () => {
    expect((await curlWithUserInfo(`modelslo:${TEST_TOKEN}`, 'request', 'basic-a', REQUEST)).status).toBe(200);
    expect((await curlWithUserInfo(`modelslo:${TEST_TOKEN}`, 'response', 'basic-a', RESPONSE)).status).toBe(200);
    expect(await predictionState('basic-a')).toBe('joined');
  });

  it.each([
    ['the user name modelslo', basic('modelslo', TEST_TOKEN)],
    ['any other user name', basic('kserve-logger', TEST_TOKEN)],
    ['an empty user name', basic('', TEST_TOKEN)],
    ['a lower-case scheme', basic('modelslo', TEST_TOKEN).replace('Basic', 'basic')],
  ])('accepts %s', async (_name, authorization) => {
    const id = `basic-${authorization.length}-${_name.length}`;
    const r = await d.post('/', REQUEST, { ...kserveHeaders('request', id), authorization }, false);
    expect(r).toMatchObject({ status: 200, body: { stored: 1, duplicates: 0 } });
    expect(await predictionState(id)).toBe('pending');
  });
});

describe('a wrong Basic credential', () => {
  it('gets 401 from the URL form, with both challenges, and nothing is stored', async () => {
    const r = await curlWithUserInfo('modelslo:not-the-token', 'request', 'basic-wrong', REQUEST);
    expect(r.status).toBe(401);
    expect(r.challenge).toContain('Basic realm="modelslo"');
    expect(r.challenge).toContain('Bearer realm="modelslo"');
    expect(await predictionState('basic-wrong')).toBeUndefined();
  });

  it.each([
    ['a wrong password', basic('modelslo', `${TEST_TOKEN}x`)],
    ['the token as the user name with no password', basic(TEST_TOKEN, '')],
    ['the token without a colon', `Basic ${Buffer.from(TEST_TOKEN).toString('base64')}`],
    ['an empty password', basic('modelslo', '')],
    ['a Basic value that is not base64', 'Basic %%%'],
  ])('answers 401 to %s', async (_name, authorization) => {
    const r = await d.post('/', REQUEST, { ...kserveHeaders('request', 'basic-never'), authorization }, false);
    expect(r.status).toBe(401);
    expect(await predictionState('basic-never')).toBeUndefined();
  });
});

describe('tokenMatches', () => {
  it.each([
    [`Bearer ${TEST_TOKEN}`, true],
    [`bearer ${TEST_TOKEN}`, true],
    [basic('any', TEST_TOKEN), true],
    [basic('any', `${TEST_TOKEN}:extra`), false],
    [basic(`${TEST_TOKEN}`, 'x'), false],
    [`Bearer ${basic('any', TEST_TOKEN)}`, false],
    [`Digest ${TEST_TOKEN}`, false],
    [undefined, false],
  ])('%s → %s', (authorization, expected) => {
    expect(tokenMatches(authorization, TEST_TOKEN)).toBe(expected);
  });

  it('takes everything after the first colon as the password (RFC 7617: user names hold no colon)', () => {
    expect(tokenMatches(basic('user', 'a:b'), 'a:b')).toBe(true);
  });
});
