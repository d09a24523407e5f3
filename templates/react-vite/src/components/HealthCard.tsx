import type { Health, Reply } from "../api";
import type { PollState } from "../hooks/usePolling";
import type { Tone } from "./StatusBadge";
import { StatusCard, pollDetail } from "./StatusCard";

/** GET /health: is the backend process answering at all? */
export function HealthCard({ state }: { state: PollState<Reply<Health>> }) {
  const { data, error } = state;
  let tone: Tone = "unknown";
  let summary = "checking…";
  if (error) {
    tone = "down";
    summary = "unreachable";
  } else if (data) {
    tone = data.ok && data.body.status === "ok" ? "up" : "down";
    summary = data.body.status ?? `HTTP ${data.status}`;
  }
  return <StatusCard title="Health" tone={tone} summary={summary} detail={pollDetail(state)} />;
}
