import { useSyncExternalStore } from 'react';
import { currentSession, type Session, subscribeSession } from './api/session.ts';

export function useSession(): Session | null {
  return useSyncExternalStore(subscribeSession, currentSession);
}

export function isAdmin(session: Session | null): boolean {
  return session?.me?.roles.includes('admin') ?? false;
}
