import type { Readiness, Reply } from "../api";
import type { PollState } from "../hooks/usePolling";
import { StatusBadge, type Tone } from "./StatusBadge";
import { StatusCard, pollDetail } from "./StatusCard";

/** GET /ready: can the backend serve, and which of its dependencies is down? */
export function ReadinessCard({ state }: { state: PollState<Reply<Readiness>> }) {
  const { data, error } = state;
  let tone: Tone = "unknown";
  let summary = "checking…";
  if (error) {
    tone = "down";
    summary = "unreachable";
  } else if (data) {
    tone = data.ok ? "up" : "down";
    summary = data.body.status ?? `HTTP ${data.status}`;
  }
  const checks = Object.entries(data?.body.checks ?? {});

  return (
    <StatusCard title="Readiness" tone={tone} summary={summary} detail={pollDetail(state)}>
      {data && checks.length === 0 && <p className="card__note">No dependencies to check.</p>}
      {checks.length > 0 && (
        <ul className="checks">
          {checks.map(([name, status]) => (
            <li key={name}>
              <span>{name}</span>
              <StatusBadge tone={status === "up" ? "up" : "down"} label={status} />
            </li>
          ))}
        </ul>
      )}
    </StatusCard>
  );
}
