/**
 * What features tell each other without importing each other: an account was created or deleted,
 * a password was set or used to log in. Listeners are registered at start (the host state
 * listens to keep the state file's users current). In-process only; a password given to a
 * listener is never kept or logged by the hooks themselves.
 */
export interface AccountEvent {
  kind: 'created' | 'deleted' | 'password' | 'login';
  accountId: string;
  username: string;
  /** The password, for 'created', 'password' and 'login': a listener may derive a hash from it. */
  password?: string;
}

type Listener = (e: AccountEvent) => Promise<void>;

export class Hooks {
  private readonly listeners: Listener[] = [];
  /** Failures of listeners, for the log (a listener's failure never fails the account change). */
  onError: (err: unknown, e: AccountEvent) => void = () => {};

  onAccount(fn: Listener): void {
    this.listeners.push(fn);
  }

  async account(e: AccountEvent): Promise<void> {
    for (const fn of this.listeners) {
      try {
        await fn(e);
      } catch (err) {
        this.onError(err, { ...e, password: undefined });
      }
    }
  }
}
