import type { ReactNode } from "react";
import type { Reply } from "../api";
import type { PollState } from "../hooks/usePolling";
import { StatusBadge, type Tone } from "./StatusBadge";

interface Props {
  title: string;
  tone: Tone;
  summary: string;
  detail?: string;
  children?: ReactNode;
}

export function StatusCard({ title, tone, summary, detail, children }: Props) {
  return (
    <section className="card" aria-label={title}>
      <header className="card__header">
        <h2>{title}</h2>
        <StatusBadge tone={tone} label={summary} />
      </header>
      {children}
      {detail && <p className="card__detail">{detail}</p>}
    </section>
  );
}

/** The card's footnote: what the last poll got, and when. */
export function pollDetail({ data, error, updatedAt }: PollState<Reply<unknown>>): string | undefined {
  const at = updatedAt?.toLocaleTimeString();
  if (error) return `${error.message} · ${at}`;
  if (data) return `HTTP ${data.status} in ${data.ms} ms · ${at}`;
  return undefined;
}
