// Entry: one V4H client for the page, given to the components through <V4HProvider>.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { V4H } from '@v4h/client';
import { V4HProvider } from '@v4h/react';
import { App } from './App.jsx';

// The V4H server: ?server=… (this example), else the page's origin. Its V4H_CORS_ORIGINS must list this page's origin.
const server = new URLSearchParams(location.search).get('server') ?? location.origin;
const v4h = new V4H({ baseUrl: server });

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <V4HProvider client={v4h}>
      <App />
    </V4HProvider>
  </StrictMode>,
);
