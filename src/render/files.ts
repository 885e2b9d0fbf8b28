/** Artifacts → file contents (bytes as strings), each stamped as generated. */
import type { Artifact } from '../rules/generate.js';
import { renderJson, renderYaml } from './yaml.js';

/** A file to write: relative path and content. */
export interface OutputFile {
  path: string;
  content: string;
}

/** Renders artifacts to files. */
export function renderArtifacts(artifacts: readonly Artifact[]): OutputFile[] {
  return artifacts.map((a) => ({ path: a.path, content: a.encoding === 'json' ? renderJson(a.content) : renderYaml(a.content, a.comment) }));
}
