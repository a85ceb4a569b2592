// Small pieces every section uses: loading and error states, a refusal in words, a bar.
import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from './api';
import { REMEDY_WORDS } from './words';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads on mount and when `key` changes; keeps the last data while reloading (no layout jump). */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const current = useRef(load);
  current.current = load;
  useEffect(() => {
    let live = true;
    setLoading(true);
    current.current().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
        setLoading(false);
      },
      (e) => {
        if (!live) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

export interface Submitted<T> {
  done: T | undefined;
  problem: unknown;
  busy: boolean;
  /** A form's onSubmit: clears the last outcome, runs `action`; what it answers is `done`, what it throws `problem`. */
  submit: (e: FormEvent) => Promise<void>;
}

/** A form that sends one request: its outcome (done or the problem, shown by <Done>/<Problem>) and whether it is under way. */
export function useSubmit<T>(action: () => Promise<T>): Submitted<T> {
  const [done, setDone] = useState<T | undefined>(undefined);
  const [problem, setProblem] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(undefined);
    setProblem(undefined);
    setBusy(true);
    try {
      setDone(await action());
    } catch (err) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  };
  return { done, problem, busy, submit };
}

export function Section(props: { title: string; id: string; children: ReactNode; aside?: ReactNode }) {
  return (
    <section className="card" aria-labelledby={`${props.id}-title`} id={props.id}>
      <header className="card-head">
        <h2 id={`${props.id}-title`}>{props.title}</h2>
        {props.aside}
      </header>
      {props.children}
    </section>
  );
}

/** A refusal or failure: the API's message (what happened) and what to do about it. */
export function Problem({ error, title }: { error: unknown; title?: string }) {
  if (error === undefined || error === null) return null;
  const e = error instanceof ApiError ? error : new ApiError(0, 'unknown', error instanceof Error ? error.message : String(error));
  const remedy = REMEDY_WORDS[e.type];
  return (
    <div className="problem" role="alert">
      <strong>{title ?? 'Refused'}:</strong> {e.message}
      {remedy && !e.message.includes(remedy) ? <div className="remedy">What you can do: {remedy}</div> : null}
      <div className="code">({e.type.replace(/_/g, ' ')})</div>
    </div>
  );
}

export function Done({ children }: { children: ReactNode }) {
  return (
    <div className="done" role="status">
      {children}
    </div>
  );
}

export function Loading({ what, lines = 2 }: { what: string; lines?: number }) {
  return (
    <div className="loading" role="status" aria-live="polite" style={{ minHeight: `${lines * 1.6}em` }}>
      Loading {what}…
    </div>
  );
}

/** A section's body: loading, an error (with a retry) or the content. */
export function Body<T>({ loaded, what, lines, children }: { loaded: Loaded<T>; what: string; lines?: number; children: (data: T) => ReactNode }) {
  if (loaded.data !== undefined) return <>{children(loaded.data)}</>;
  if (loaded.error)
    return (
      <div>
        <Problem error={loaded.error} title={`Could not load ${what}`} />
        <button type="button" onClick={loaded.reload}>
          Try again
        </button>
      </div>
    );
  return <Loading what={what} {...(lines ? { lines } : {})} />;
}

/** Where a bar turns to a warning: the share at which the server warns of a spend limit or an allowance (SPEC §1.6, §1.3). */
const BAR_WARN_PERCENT = 80;

export function Bar({ value, max, label, tone }: { value: number; max: number; label: string; tone?: 'warn' | 'full' | undefined }) {
  const pct = max <= 0 ? (value > 0 ? 100 : 0) : Math.min(100, (value * 100) / max);
  const auto = pct >= 100 ? 'full' : pct >= BAR_WARN_PERCENT ? 'warn' : undefined;
  return (
    <div className={`bar ${tone ?? auto ?? ''}`} role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)}>
      <div className="bar-fill" style={{ width: `${pct}%` }} />
    </div>
  );
}

/** The auto-reload form's fields, the same for an account and an API organization: the switch, the amount, the threshold. */
export function ReloadFields(props: {
  on: boolean;
  setOn: (on: boolean) => void;
  amount: string;
  setAmount: (text: string) => void;
  threshold: string;
  setThreshold: (text: string) => void;
  what: 'balance falls' | 'credits fall';
}) {
  return (
    <>
      <label className="switch">
        <input type="checkbox" role="switch" checked={props.on} onChange={(e) => props.setOn(e.target.checked)} /> Auto-reload
      </label>
      <label className="field">
        Reload amount (USD)
        <input inputMode="decimal" value={props.amount} onChange={(e) => props.setAmount(e.target.value)} />
      </label>
      <label className="field">
        When available {props.what} below (USD)
        <input inputMode="decimal" value={props.threshold} onChange={(e) => props.setThreshold(e.target.value)} />
      </label>
    </>
  );
}
