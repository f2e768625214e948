import { type FormEvent, useEffect, useState } from 'react';
import {
  type Customer,
  isFinal,
  progressOf,
  Refused,
  startVerification,
  type LeadStatus,
  type Progress,
  type Verification,
} from './api';

const POLL_MS = 2000;
// The verification survives a reload and the hosted page's redirect back here.
const STORED = 'acme.verification';

const STATUS_TEXT: Record<LeadStatus, string> = {
  not_started: 'Not started: open the verification page to begin.',
  in_progress: 'In progress: upload the documents the verification page asks for.',
  under_review: 'Under review: our team is checking your documents.',
  approved: 'Approved: your account is verified.',
  rejected: 'Not approved: we could not verify your identity.',
};

function stored(): Verification | null {
  try {
    const text = localStorage.getItem(STORED);
    return text ? (JSON.parse(text) as Verification) : null;
  } catch {
    return null;
  }
}

/** Asks the back end for the customer's progress every POLL_MS until the lead is decided. */
function useProgress(leadId: string | undefined): { progress: Progress | null; error: boolean } {
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState(false);
  useEffect(() => {
    if (!leadId) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const next = await progressOf(leadId);
        if (stopped) return;
        setProgress(next);
        setError(false);
        if (isFinal(next.status)) return;
      } catch {
        if (stopped) return;
        setError(true);
      }
      timer = setTimeout(tick, POLL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [leadId]);
  return { progress, error };
}

// The sign-up fields, by the KYC API's name for each (what a refusal names).
const FIELDS: { name: keyof Customer; api: string; label: string; type?: string; autoComplete: string }[] = [
  { name: 'first_name', api: 'individual.first_name', label: 'First name', autoComplete: 'given-name' },
  { name: 'last_name', api: 'individual.last_name', label: 'Last name', autoComplete: 'family-name' },
  { name: 'email', api: 'email', label: 'Email', type: 'email', autoComplete: 'email' },
  { name: 'line1', api: 'address.line1', label: 'Street address', autoComplete: 'address-line1' },
  { name: 'city', api: 'address.city', label: 'City', autoComplete: 'address-level2' },
  { name: 'postal_code', api: 'address.postal_code', label: 'Postal code', autoComplete: 'postal-code' },
  { name: 'country', api: 'address.country', label: 'Country (two letters, e.g. GB)', autoComplete: 'country' },
];

export function App() {
  const [verification, setVerification] = useState<Verification | null>(stored);
  const [starting, setStarting] = useState(false);
  const [startFailed, setStartFailed] = useState(false);
  const [refused, setRefused] = useState<string[]>([]);
  const { progress, error } = useProgress(verification?.lead_id);

  const start = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const customer = Object.fromEntries(FIELDS.map((f) => [f.name, String(form.get(f.name) ?? '').trim()])) as unknown as Customer;
    setStarting(true);
    setStartFailed(false);
    setRefused([]);
    try {
      const started = await startVerification(customer);
      localStorage.setItem(STORED, JSON.stringify(started));
      setVerification(started);
    } catch (e) {
      if (e instanceof Refused) setRefused(e.fields);
      else setStartFailed(true);
    } finally {
      setStarting(false);
    }
  };

  const forget = () => {
    localStorage.removeItem(STORED);
    setVerification(null);
  };

  const status = progress?.status;
  return (
    <main>
      <h1>Verify your identity</h1>
      <p>Acme Wallet needs to know who you are before you can move money. It takes a few minutes on your phone.</p>
      {!verification && (
        <form id="customer" onSubmit={start}>
          {FIELDS.map((f) => (
            <p key={f.name}>
              <label htmlFor={f.name}>{f.label}</label>
              <input
                id={f.name}
                name={f.name}
                type={f.type ?? 'text'}
                autoComplete={f.autoComplete}
                required
                aria-invalid={refused.includes(f.api)}
              />
            </p>
          ))}
          {refused.length > 0 && (
            <p role="alert" id="refused">
              Please check: {FIELDS.filter((f) => refused.includes(f.api)).map((f) => f.label).join(', ') || refused.join(', ')}.
            </p>
          )}
          <button type="submit" id="start" disabled={starting}>
            {starting ? 'Starting…' : 'Start verification'}
          </button>
        </form>
      )}
      {startFailed && <p role="alert">We could not start the verification. Please try again.</p>}
      {verification && (
        <section aria-labelledby="progress-title">
          <h2 id="progress-title">Your verification</h2>
          <p id="status" role="status" aria-live="polite" data-status={status ?? ''}>
            {status ? STATUS_TEXT[status] : 'Checking…'}
          </p>
          {progress && progress.missing.length > 0 && !isFinal(progress.status) && (
            <p id="missing">Still needed: {progress.missing.map((m) => m.replaceAll('_', ' ')).join(', ')}.</p>
          )}
          {error && <p role="alert">The status could not be refreshed; retrying.</p>}
          {status && !isFinal(status) && status !== 'under_review' && (
            <a id="verify" className="button" href={verification.url}>
              Continue to the verification page
            </a>
          )}
          {status && isFinal(status) && (
            <button type="button" className="secondary" onClick={forget}>
              Done
            </button>
          )}
        </section>
      )}
    </main>
  );
}
