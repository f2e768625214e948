import { useEffect, useState } from 'react';
import { isFinal, progressOf, startVerification, type LeadStatus, type Progress, type Verification } from './api';

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

export function App() {
  const [verification, setVerification] = useState<Verification | null>(stored);
  const [starting, setStarting] = useState(false);
  const [startFailed, setStartFailed] = useState(false);
  const { progress, error } = useProgress(verification?.lead_id);

  const start = async () => {
    setStarting(true);
    setStartFailed(false);
    try {
      const started = await startVerification();
      localStorage.setItem(STORED, JSON.stringify(started));
      setVerification(started);
    } catch {
      setStartFailed(true);
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
        <button type="button" id="start" onClick={start} disabled={starting}>
          {starting ? 'Starting…' : 'Start verification'}
        </button>
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
