import { createContext, useContext } from 'react';
import type { RackbootClient } from '../../../shared/api';

export const ClientContext = createContext<RackbootClient | null>(null);

export function useClient(): RackbootClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient outside <ClientContext.Provider>');
  return client;
}
