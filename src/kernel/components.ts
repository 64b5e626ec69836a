/**
 * The state of each part of the daemon (Bitmask's `childrenStatus`), which `/readiness` and the
 * route gates read: a group of routes that needs a component answers 404 until it is on.
 */
export type ComponentStatus = 'on' | 'off' | 'starting' | 'stopping' | 'failed';

export interface ComponentState {
  status: ComponentStatus;
  error: string | null;
}

export class Components {
  private readonly states = new Map<string, ComponentState>();

  set(name: string, status: ComponentStatus, error: string | null = null): void {
    this.states.set(name, { status, error });
  }

  isOn(name: string): boolean {
    return this.states.get(name)?.status === 'on';
  }

  get(name: string): ComponentState | undefined {
    return this.states.get(name);
  }

  /** Every component, in the order first set. */
  snapshot(): Record<string, ComponentState> {
    return Object.fromEntries([...this.states].map(([n, s]) => [n, { ...s }]));
  }

  /** Components that are enabled (not off) and not on yet: readiness waits for these. */
  notReady(): Record<string, ComponentState> {
    return Object.fromEntries([...this.states].filter(([, s]) => s.status !== 'on' && s.status !== 'off').map(([n, s]) => [n, { ...s }]));
  }
}
