/**
 * The report as one self-contained HTML file: the Markdown (the subset markdown.ts writes:
 * headings, paragraphs, tables, lists, code blocks, images, bold, italics, links, code spans)
 * turned into HTML, each chart's SVG inlined where the Markdown references it. No script, no
 * external stylesheet, font or image: the file opens offline.
 */

const esc = (s: string): string => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Inline Markdown → HTML: code spans, links, bold, italics (text escaped). */
function inline(text: string): string {
  const parts = text.split(/(`[^`]*`)/);
  return parts
    .map((p) => {
      if (p.startsWith('`') && p.endsWith('`') && p.length >= 2) return `<code>${esc(p.slice(1, -1))}</code>`;
      return esc(p)
        .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, label: string, href: string) => `<a href="${href}">${label}</a>`)
        .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
        .replace(/(^|[\s(])_([^_]+)_(?=$|[\s).,;:])/g, '$1<em>$2</em>');
    })
    .join('');
}

const cells = (row: string): string[] => row.replace(/^\|\s?/, '').replace(/\s?\|$/, '').split(/\s\|\s/).map((c) => c.replaceAll('\\|', '|'));

const STYLE = `body{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#212121;line-height:1.45}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bdbdbd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#eeeeee}code{background:#f5f5f5;padding:0 .2em}pre{background:#f5f5f5;padding:.75em;overflow:auto}
figure{margin:1em 0}figcaption{font-size:.9em;color:#616161}em{color:#5d4037}`;

/** The HTML document; `svgs` maps each chart file the Markdown references to its SVG text. */
export function renderHtml(markdown: string, svgs: ReadonlyMap<string, string>, title: string): string {
  const lines = markdown.split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    const h = /^(#{1,6}) (.*)$/.exec(line);
    const img = /^!\[([^\]]*)\]\(([^)]+)\)$/.exec(line);
    if (line === '') i++;
    else if (h !== null) {
      out.push(`<h${h[1]?.length}>${inline(h[2] ?? '')}</h${h[1]?.length}>`);
      i++;
    } else if (line.startsWith('```')) {
      const body: string[] = [];
      for (i++; i < lines.length && !(lines[i] ?? '').startsWith('```'); i++) body.push(lines[i] ?? '');
      out.push(`<pre><code>${esc(body.join('\n'))}</code></pre>`);
      i++;
    } else if (img !== null) {
      const svg = svgs.get(img[2] ?? '');
      out.push(`<figure>${svg ?? `<p>(chart ${esc(img[2] ?? '')} missing)</p>`}<figcaption>${esc(img[1] ?? '')}</figcaption></figure>`);
      i++;
    } else if (line.startsWith('|')) {
      const rows: string[] = [];
      for (; i < lines.length && (lines[i] ?? '').startsWith('|'); i++) rows.push(lines[i] ?? '');
      const [head, , ...body] = rows;
      out.push(`<table><thead><tr>${cells(head ?? '').map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>`);
      for (const r of body) out.push(`<tr>${cells(r).map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`);
      out.push('</tbody></table>');
    } else if (line.startsWith('- ')) {
      out.push('<ul>');
      for (; i < lines.length && (lines[i] ?? '').startsWith('- '); i++) out.push(`<li>${inline((lines[i] ?? '').slice(2))}</li>`);
      out.push('</ul>');
    } else {
      const para: string[] = [];
      for (; i < lines.length && (lines[i] ?? '') !== '' && !/^(#|\||- |```|!\[)/.test(lines[i] ?? ''); i++) para.push(inline((lines[i] ?? '').replace(/ {2}$/, '')));
      out.push(`<p>${para.join('<br>\n')}</p>`);
    }
  }
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${esc(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n${out.join('\n')}\n</body>\n</html>\n`;
}
