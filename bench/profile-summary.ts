// Summarises a V8 CPU profile (`node --cpu-prof`): the functions with the most self time, and
// the same time grouped by where the code lives (our src/, pg, Fastify, Node internals, GC, idle).
//   npx tsx bench/profile-summary.ts <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function area(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'program (native, unattributed)';
  if (url.includes('/node_modules/')) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    return `dep: ${m?.[1] ?? '?'}`;
  }
  const src = /\/(src|bench|test)\/(.*)$/.exec(url);
  if (src) return `${src[1]}/${src[2]!.split('/')[0]}`;
  if (url.startsWith('node:') || url === '') return 'node internals / native';
  return url;
}

export function summarise(profile: Profile, top = 25): string {
  const by_id = new Map(profile.nodes.map((n) => [n.id, n]));
  const self_us = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self_us.set(id, (self_us.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total_us = [...self_us.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, { us: number; name: string; where: string }>();
  const areas = new Map<string, number>();
  for (const [id, us] of self_us) {
    const node = by_id.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    const short = url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|src|bench|test)\//, '$1/');
    const key = `${name}@${short}:${lineNumber + 1}`;
    const entry = fns.get(key) ?? { us: 0, name, where: url ? `${short}:${lineNumber + 1}` : '' };
    entry.us += us;
    fns.set(key, entry);
    const a = area(url, name);
    areas.set(a, (areas.get(a) ?? 0) + us);
  }
  const pct = (us: number) => ((100 * us) / total_us).toFixed(1).padStart(5);
  const busy_us = total_us - (areas.get('idle') ?? 0);
  const lines = [`total ${(total_us / 1e6).toFixed(1)} s sampled, busy ${(busy_us / 1e6).toFixed(1)} s (${pct(busy_us)}%)`, '', '| self % | self ms | function | where |', '|---:|---:|---|---|'];
  for (const f of [...fns.values()].sort((a, b) => b.us - a.us).slice(0, top)) lines.push(`| ${pct(f.us)} | ${(f.us / 1000).toFixed(0)} | \`${f.name}\` | ${f.where} |`);
  lines.push('', '| area | self % |', '|---|---:|');
  for (const [a, us] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, 20)) lines.push(`| ${a} | ${pct(us)} |`);
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('profile-summary.ts')) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(process.argv[3] ?? 25) || 25));
}
