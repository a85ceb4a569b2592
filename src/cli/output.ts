// Terminal output: colour (only on a TTY, never with NO_COLOR), plain aligned tables, bar
// charts drawn with block characters, and a spinner on stderr for anything slower than a second.
// Tables are plain columns rather than boxes so the output stays greppable and pipeable.

export interface Streams {
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  err: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
}

export const output_limits = {
  spinner_delay_ms: 1000,
  spinner_frame_ms: 80,
  chart_width_max: 48,
  chart_width_min: 10,
  terminal_columns_default: 80,
} as const;

/** NO_COLOR (https://no-color.org): present and not empty disables colour. */
export function colourAllowed(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (!stream.isTTY) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const plain = (s: string) => s;

export function makeStyle(enabled: boolean): Style {
  if (!enabled) return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39) };
}

export class Output {
  readonly style: Style;
  readonly err_style: Style;
  constructor(readonly streams: Streams) {
    this.style = makeStyle(colourAllowed(streams.out, streams.env));
    this.err_style = makeStyle(colourAllowed(streams.err, streams.env));
  }

  /** One or more lines to stdout. */
  line(text = ''): void {
    this.streams.out.write(text + '\n');
  }

  /** Machine output: pretty JSON on stdout. */
  json(value: unknown): void {
    this.streams.out.write(JSON.stringify(value, null, 2) + '\n');
  }

  /** Notes to stderr (never mixed into machine output on stdout). */
  note(text: string): void {
    this.streams.err.write(text + '\n');
  }

  get interactive(): boolean {
    return Boolean(this.streams.err.isTTY);
  }

  get columns(): number {
    return this.streams.out.columns ?? output_limits.terminal_columns_default;
  }

  /**
   * Runs `task`; when it takes longer than a second and stderr is a terminal, a spinner with
   * `label` turns on stderr until it settles. Off the terminal, nothing is drawn.
   */
  async spin<T>(label: string, task: () => Promise<T>, enabled = true): Promise<T> {
    if (!enabled || !this.streams.err.isTTY) return task();
    const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let frame = 0;
    let timer: NodeJS.Timeout | undefined;
    const err = this.streams.err;
    const draw = () => err.write(`\r${this.err_style.cyan(frames[frame++ % frames.length]!)} ${label}\x1b[K`);
    const delay = setTimeout(() => {
      draw();
      timer = setInterval(draw, output_limits.spinner_frame_ms);
    }, output_limits.spinner_delay_ms);
    try {
      return await task();
    } finally {
      clearTimeout(delay);
      if (timer) {
        clearInterval(timer);
        err.write('\r\x1b[K');
      }
    }
  }
}

export type Align = 'left' | 'right';

/** Plain aligned columns; the header is dimmed on a colour terminal. */
export function renderTable(header: string[], rows: string[][], options: { align?: Align[]; style?: Style; indent?: string } = {}): string {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const indent = options.indent ?? '';
  const pad = (cell: string, i: number) => {
    const gap = ' '.repeat(widths[i]! - visibleLength(cell));
    return options.align?.[i] === 'right' ? gap + cell : cell + gap;
  };
  const render = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => pad(c, i))
      .join('  ')
      .trimEnd();
  const head = render(header);
  return [options.style ? options.style.dim(head) : head, ...rows.map(render)].join('\n');
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
export function visibleLength(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/**
 * A horizontal bar of `value / max` of `width` cells, to an eighth of a cell. Integer arithmetic:
 * the values are micros or tokens, the length is ⌊value × width × 8 / max⌋ eighths.
 */
export function bar(value: number, max: number, width: number): string {
  if (max <= 0 || value <= 0) return '';
  const eighths = Number((BigInt(Math.min(value, max)) * BigInt(width) * 8n) / BigInt(max));
  const shown = Math.max(eighths, 1); // a non-zero value is never drawn as nothing
  return '█'.repeat(Math.floor(shown / 8)) + EIGHTHS[shown % 8]!;
}
