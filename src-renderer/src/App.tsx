import { useEffect } from 'react';
import { useApp } from './state/app-store';
import { start } from './state/actions';
import { MainView } from './components/MainView';
import { Notices } from './components/Notices';
import { WelcomeView } from './components/WelcomeView';

export function App() {
  const phase = useApp((s) => s.phase);
  useEffect(() => { void start(); }, []);
  return (
    <>
      {phase === 'loading' && <main className="loading" aria-busy="true"><p className="muted">Opening Weightline…</p></main>}
      {phase === 'welcome' && <WelcomeView />}
      {phase === 'open' && <MainView />}
      <Notices />
    </>
  );
}
