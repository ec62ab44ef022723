// The V4H client in React context: <V4HProvider client={v4h}> and useV4H().
import { createContext, createElement, useContext, type ReactNode } from 'react';
import type { V4H } from '@v4h/client';

/** What the components and hooks use of a V4H client (a `new V4H()` fits). */
export type V4HClient = Pick<V4H, 'startConference' | 'joinConference' | 'leaveConference' | 'getConference' | 'on' | 'off' | 'jApi'>;

const V4HContext = createContext<V4HClient | null>(null);

export interface V4HProviderProps {
  /** A V4H client, created once (outside the component or in a ref/state), usually already logged in. */
  client: V4HClient;
  children?: ReactNode;
}

/**
 * Makes a V4H client available to the components and hooks below.
 * @example
 * const v4h = new V4H({ baseUrl: 'https://v4h.clinic.example' });
 * root.render(<V4HProvider client={v4h}><App /></V4HProvider>);
 */
export function V4HProvider({ client, children }: V4HProviderProps) {
  return createElement(V4HContext.Provider, { value: client }, children);
}

/** The client of the nearest <V4HProvider>; throws outside one (a missing provider is a programming error). */
export function useV4H<C extends V4HClient = V4H>(): C {
  const client = useContext(V4HContext);
  if (!client) throw new Error('useV4H: no <V4HProvider client={…}> above this component');
  return client as C;
}
