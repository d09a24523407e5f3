export type Tone = "up" | "down" | "unknown";

export function StatusBadge({ tone, label }: { tone: Tone; label: string }) {
  return <span className={`badge badge--${tone}`}>{label}</span>;
}
