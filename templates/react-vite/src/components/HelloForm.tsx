import { useState, type FormEvent } from "react";
import { getHello } from "../api";

type Outcome = { message: string } | { error: string };

/** GET /hello/{name}: a round trip through the proxy to the backend and back. */
export function HelloForm() {
  const [name, setName] = useState("world");
  const [outcome, setOutcome] = useState<Outcome>();
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setPending(true);
    try {
      const reply = await getHello(name.trim());
      setOutcome(reply.ok ? { message: reply.body.message } : { error: `HTTP ${reply.status}` });
    } catch (err) {
      setOutcome({ error: err instanceof Error ? err.message : String(err) });
    } finally {
      setPending(false);
    }
  }

  return (
    <form className="card hello" aria-label="Say hello" onSubmit={onSubmit}>
      <h2>Say hello</h2>
      <div className="hello__row">
        <label htmlFor="hello-name">Name</label>
        <input id="hello-name" value={name} onChange={(e) => setName(e.target.value)} />
        <button type="submit" disabled={pending || name.trim() === ""}>
          Send
        </button>
      </div>
      {outcome && "message" in outcome && <output className="hello__reply">{outcome.message}</output>}
      {outcome && "error" in outcome && (
        <p className="hello__error" role="alert">
          {outcome.error}
        </p>
      )}
    </form>
  );
}
