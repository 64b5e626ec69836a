/** Small building blocks every page shares: cards, fields, buttons with progress, notices. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './api';

let nextId = 0;
export const useId = (prefix: string) => useRef(`${prefix}-${++nextId}`).current;

export function Card(props: { title: string; actions?: ComponentChildren; children: ComponentChildren; id?: string }) {
  const headingId = useId('card');
  return (
    <section class="card" aria-labelledby={headingId} id={props.id}>
      <header class="card-head">
        <h2 id={headingId}>{props.title}</h2>
        {props.actions && <div class="card-actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

export function Field(props: {
  label: string;
  hint?: string;
  type?: 'text' | 'password' | 'date' | 'number';
  value: string;
  onInput: (v: string) => void;
  autocomplete?: string;
  required?: boolean;
  minLength?: number;
  name?: string;
  autofocus?: boolean;
}) {
  const id = useId('f');
  const hintId = props.hint ? `${id}-hint` : undefined;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        {...({ type: props.type ?? 'text' } as object)}
        value={props.value}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
        autoComplete={props.autocomplete}
        required={props.required}
        minLength={props.minLength}
        aria-describedby={hintId}
        autoFocus={props.autofocus}
        spellcheck={false}
        autoCapitalize="off"
      />
      {props.hint && (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      )}
    </div>
  );
}

export function Select(props: { label: string; value: string; onChange: (v: string) => void; options: { value: string; label: string }[]; hint?: string }) {
  const id = useId('s');
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select
        id={id}
        value={props.value}
        onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
      >
        {props.options.map((o) => (
          <option value={o.value} key={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {props.hint && (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
    </div>
  );
}

export function Button(props: {
  children: ComponentChildren;
  onClick?: () => unknown;
  type?: 'button' | 'submit';
  kind?: 'primary' | 'secondary' | 'danger' | 'ghost';
  busy?: boolean;
  disabled?: boolean;
  label?: string;
}) {
  return (
    <button
      type={props.type ?? 'button'}
      class={`btn btn-${props.kind ?? 'secondary'}`}
      onClick={props.onClick}
      disabled={props.disabled || props.busy}
      aria-busy={props.busy ? 'true' : undefined}
      aria-label={props.label}
    >
      {props.busy && <span class="spinner" aria-hidden="true" />}
      {props.children}
    </button>
  );
}

export function Notice(props: { kind: 'error' | 'ok' | 'info' | 'warn'; children: ComponentChildren }) {
  return (
    <div class={`notice notice-${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

export function Empty(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{props.title}</p>
      {props.children && <p class="empty-body">{props.children}</p>}
    </div>
  );
}

export function Loading(props: { what: string }) {
  return (
    <div class="loading" role="status">
      <span class="spinner" aria-hidden="true" /> Loading {props.what}…
    </div>
  );
}

/** Loads data on mount (and on `reload`), with its loading and error states. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const reload = useCallback(async () => {
    setLoading(true);
    try {
      setData(await load());
      setError(null);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setLoading(false);
    }
  }, deps);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, loading, reload, setData };
}

/** Runs an action with a busy flag and its error, for forms and buttons. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (err) {
      setError(errorText(err));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, setError };
}

export function Form(props: { onSubmit: () => void; children: ComponentChildren; label?: string; class?: string }) {
  const submit = (e: Event) => {
    e.preventDefault();
    props.onSubmit();
  };
  return (
    <form class={props.class ?? 'form'} onSubmit={submit} aria-label={props.label} noValidate={false}>
      {props.children}
    </form>
  );
}

export function CopyButton(props: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      setCopied(false);
    }
  };
  return (
    <Button onClick={copy} kind="secondary">
      {copied ? 'Copied' : (props.label ?? 'Copy')}
    </Button>
  );
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min`;
  return `${Math.max(0, Math.floor(seconds))} s`;
}

/** One column of a `StackTable`: its heading (also the cell's label on a phone) and what a row shows in it. */
export interface Column<T> {
  label: string;
  cell: (row: T) => ComponentChildren;
  /** A class for its heading and cells, e.g. `num` to right-align numbers. */
  class?: string;
}

/**
 * A table whose rows stack into labelled lines on a phone. `actions` is a last column of buttons
 * (its heading only for screen readers); `rowData` adds `data-*` attributes a test or style can find.
 */
export function StackTable<T>(props: {
  rows: readonly T[];
  columns: readonly Column<T>[];
  rowKey: (row: T, index: number) => string;
  actions?: (row: T) => ComponentChildren;
  rowData?: (row: T) => Record<string, string>;
  label?: string;
}) {
  return (
    <table class="table table-stack" aria-label={props.label}>
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th scope="col" key={c.label} class={c.class}>
              {c.label}
            </th>
          ))}
          {props.actions && (
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row, i) => (
          <tr key={props.rowKey(row, i)} {...(props.rowData ? Object.fromEntries(Object.entries(props.rowData(row)).map(([k, v]) => [`data-${k}`, v])) : {})}>
            {props.columns.map((c) => (
              <td data-label={c.label} key={c.label} class={c.class}>
                {c.cell(row)}
              </td>
            ))}
            {props.actions && <td class="num">{props.actions(row)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * What a loaded list shows: its errors (the load's and any action's), "Loading…" until the first
 * answer, `empty` when there is nothing, else `children` with the data.
 */
export function Loaded<T>(props: {
  load: { data: T | null; error: string | null };
  what: string;
  errors?: readonly (string | null)[];
  isEmpty: (data: T) => boolean;
  empty: ComponentChildren;
  children: (data: T) => ComponentChildren;
}) {
  const { data, error } = props.load;
  return (
    <>
      {[error, ...(props.errors ?? [])].map(
        (e, i) =>
          e && (
            <Notice kind="error" key={i}>
              {e}
            </Notice>
          ),
      )}
      {data === null ? !error && <Loading what={props.what} /> : props.isEmpty(data) ? props.empty : props.children(data)}
    </>
  );
}

/** "Refresh" for what `useLoad` loaded: reloads it, busy while it loads. */
export function RefreshButton(props: { load: { reload: () => Promise<void>; loading: boolean }; children?: ComponentChildren }) {
  return (
    <Button onClick={props.load.reload} busy={props.load.loading}>
      {props.children ?? 'Refresh'}
    </Button>
  );
}
