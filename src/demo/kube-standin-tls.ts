/**
 * A throw-away self-signed certificate for the Kubernetes stand-in, made with `openssl`. kubectl
 * (client-go's clientcmd) sends a kubeconfig's or `--token`'s credentials only over TLS, so the
 * stand-in serves HTTPS when kubectl must authenticate. The certificate is for 127.0.0.1 and
 * localhost, valid for two days, and also serves as its own CA for clients that verify.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A PEM key and certificate. */
export interface TlsPair {
  key: string;
  cert: string;
}

/** Makes a self-signed P-256 certificate for 127.0.0.1/localhost with `openssl req -x509`. */
export async function selfSignedCert(): Promise<TlsPair> {
  const dir = await mkdtemp(join(tmpdir(), 'modelslo-kube-standin-tls-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-days', '2', '-subj', '/CN=modelslo-kube-standin', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', key, '-out', cert]);
    return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') };
  } catch (err) {
    throw new Error('could not make a self-signed certificate for the Kubernetes stand-in with openssl', { cause: err });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
