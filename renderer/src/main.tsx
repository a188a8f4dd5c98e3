import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectClient } from './api/client';
import { ClientContext } from './api/context';
import { App } from './App';
import { followDeploy } from './store/deploy';
import { followImages } from './store/images';
import { followLog } from './store/log';
import { followNodes } from './store/nodes';
import { followPower } from './store/power';

const client = connectClient();
followNodes(client);
followImages(client);
followPower(client);
followLog(client);
followDeploy(client);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ClientContext.Provider value={client}>
      <App />
    </ClientContext.Provider>
  </StrictMode>,
);
