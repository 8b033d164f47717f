// Placeholder shell: the commit graph and history view arrive with the desktop app issue.
export function App() {
  const host = window.weightline ? `desktop ${window.weightline.version}` : 'browser mode';
  return (
    <main className="shell">
      <h1>Weightline</h1>
      <p>The history view arrives with the desktop app issue.</p>
      <p className="muted">{host}</p>
    </main>
  );
}
