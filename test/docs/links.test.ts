/**
 * Every relative link of the README and docs/ resolves: the file exists, and a `#anchor` names a
 * heading of it (GitHub's anchors: lower case, punctuation dropped, spaces to "-", repeats numbered).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../support/fixtures.js';

/** GitHub's anchor of a heading text. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[`*]/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m === null) continue;
    const base = anchorOf(m[1] ?? '');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function markdownFiles(): string[] {
  const docs = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? docs(p) : f.endsWith('.md') ? [p] : [];
    });
  return [repoPath('README.md'), ...docs(repoPath('docs'))];
}

/** Relative links of a Markdown text (outside code), with their line. */
function links(markdown: string): Array<{ target: string; line: number }> {
  const out: Array<{ target: string; line: number }> = [];
  let fenced = false;
  markdown.split('\n').forEach((text, i) => {
    if (/^\s*```/.test(text)) fenced = !fenced;
    if (fenced) return;
    const plain = text.replace(/`[^`]*`/g, '');
    for (const m of plain.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1] ?? '';
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) out.push({ target, line: i + 1 });
    }
  });
  return out;
}

describe('documentation links', () => {
  it.each(markdownFiles().map((f) => [relative(repoPath(''), f), f]))('every relative link and anchor of %s resolves', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const broken: string[] = [];
    for (const { target, line } of links(text)) {
      const [path = '', anchor] = target.split('#');
      const dest = path === '' ? file : join(dirname(file), decodeURIComponent(path));
      if (!existsSync(dest)) {
        broken.push(`${line}: ${target} (no such file)`);
        continue;
      }
      if (anchor !== undefined && anchor !== '' && dest.endsWith('.md') && !anchors(readFileSync(dest, 'utf8')).has(anchor)) broken.push(`${line}: ${target} (no heading #${anchor})`);
    }
    expect(broken).toEqual([]);
  });

  it('computes GitHub anchors', () => {
    expect(anchorOf('The config: `models[].canary`')).toBe('the-config-modelscanary');
    expect(anchorOf('API, metrics, Events and alerts')).toBe('api-metrics-events-and-alerts');
    expect([...anchors('# A\n## A\n```\n# not a heading\n```\n## B-c d')]).toEqual(['a', 'a-1', 'b-c-d']);
  });
});
