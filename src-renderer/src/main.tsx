import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { applyThemeChoice, readThemeChoice } from './lib/theme';
import './styles.css';

// The remembered theme before the first paint, so a dark choice never flashes light.
applyThemeChoice(readThemeChoice());

const rootElement = document.getElementById('root');
if (!rootElement) throw new Error('missing #root element');

createRoot(rootElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
