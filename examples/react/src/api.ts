// The page talks only to its own back end (server.mjs), never to the KYC API: the API key
// stays on the server, and the browser learns no more than this customer's progress.

/** The lead statuses of the KYC API (API.md, "Lead statuses"). */
export type LeadStatus = 'not_started' | 'in_progress' | 'under_review' | 'approved' | 'rejected';

/** A verification this back end started for the customer: the hosted page to send them to. */
export interface Verification {
  lead_id: string;
  url: string;
  expires_at: string;
}

/** What the customer may see of their lead: its status and the documents still missing. */
export interface Progress {
  status: LeadStatus;
  missing: string[];
}

async function call<T>(method: 'GET' | 'POST', path: string): Promise<T> {
  const answer = await fetch(path, { method, cache: 'no-store', headers: { accept: 'application/json' } });
  if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status}`);
  return (await answer.json()) as T;
}

export const startVerification = (): Promise<Verification> => call('POST', '/api/verification');

export const progressOf = (leadId: string): Promise<Progress> =>
  call('GET', `/api/verification/${encodeURIComponent(leadId)}`);

/** A decided lead changes no more (API.md): the page stops asking. */
export const isFinal = (status: LeadStatus): boolean => status === 'approved' || status === 'rejected';
