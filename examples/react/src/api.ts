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

/** What the customer gave at sign-up; the back end passes it on to the KYC API. */
export interface Customer {
  first_name: string;
  last_name: string;
  email: string;
  line1: string;
  city: string;
  postal_code: string;
  country: string;
}

/** The back end refused the customer's data: the KYC API's field names (`address.country`). */
export class Refused extends Error {
  constructor(readonly fields: string[]) {
    super(`refused: ${fields.join(', ')}`);
  }
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const answer = await fetch(path, {
    method,
    cache: 'no-store',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (answer.status === 422) throw new Refused(((await answer.json()) as { fields: string[] }).fields);
  if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status}`);
  return (await answer.json()) as T;
}

export const startVerification = (customer: Customer): Promise<Verification> =>
  call('POST', '/api/verification', customer);

export const progressOf = (leadId: string): Promise<Progress> =>
  call('GET', `/api/verification/${encodeURIComponent(leadId)}`);

/** A decided lead changes no more (API.md): the page stops asking. */
export const isFinal = (status: LeadStatus): boolean => status === 'approved' || status === 'rejected';
