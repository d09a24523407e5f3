import { getHealth, getReady } from "./api";
import { HealthCard } from "./components/HealthCard";
import { HelloForm } from "./components/HelloForm";
import { ReadinessCard } from "./components/ReadinessCard";
import { POLL_INTERVAL_MS, SERVICE_NAME } from "./config";
import { usePolling } from "./hooks/usePolling";

export function App() {
  const health = usePolling(getHealth, POLL_INTERVAL_MS);
  const ready = usePolling(getReady, POLL_INTERVAL_MS);

  return (
    <main className="dashboard">
      <header className="dashboard__header">
        <h1>{SERVICE_NAME}</h1>
        <p>Service dashboard · refreshes every {POLL_INTERVAL_MS / 1000} s</p>
      </header>
      <div className="cards">
        <HealthCard state={health} />
        <ReadinessCard state={ready} />
      </div>
      <HelloForm />
    </main>
  );
}
