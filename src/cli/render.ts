/** Human-readable output for command results: aligned `key  value` lines, nested by indent. */

function scalar(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

export function render(value: unknown, indent = ''): string {
  if (isScalar(value)) return indent + scalar(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return `${indent}(none)`;
    if (value.every(isScalar)) return value.map((v) => indent + scalar(v)).join('\n');
    return value.map((v) => render(v, indent)).join(`\n${indent}\n`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return `${indent}(empty)`;
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries
    .map(([k, v]) => (isScalar(v) ? `${indent}${k.padEnd(width)}  ${scalar(v)}` : `${indent}${k}:\n${render(v, indent + '  ')}`))
    .join('\n');
}

interface StatusResult {
  status: string;
  childrenStatus: Record<string, { status: string; error: string | null }>;
}

/** Commands whose results read better in a shape of their own. */
export const RENDERERS: Record<string, (result: any) => string> = {
  'core/status': (r: StatusResult) => {
    const names = Object.keys(r.childrenStatus);
    const width = Math.max(...names.map((n) => n.length));
    const lines = names.map((n) => {
      const c = r.childrenStatus[n]!;
      return `  ${n.padEnd(width)}  ${c.status}${c.error ? `  (${c.error})` : ''}`;
    });
    return [`hearthd  ${r.status}`, ...lines].join('\n');
  },
};
