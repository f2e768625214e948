// The integrator's own back end for the React example (Node >= 20, no dependencies). It
// holds the KYC API key, which the browser never sees; it creates a KYC link for its
// customer and tells the page that customer's progress. It also serves the built page
// (dist/), so page and back end share one origin.
//
//   KYC_API_URL=http://127.0.0.1:3000 KYC_API_KEY=sk_... PORT=5174 node server.mjs
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const API = process.env.KYC_API_URL ?? 'http://127.0.0.1:3000';
const KEY = process.env.KYC_API_KEY;
const HOST = process.env.HOST ?? '127.0.0.1';
const PORT = Number(process.env.PORT ?? 5174);
const PUBLIC_URL = process.env.PUBLIC_URL ?? `http://${HOST}:${PORT}`;
const DIST = fileURLToPath(new URL('./dist/', import.meta.url));
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
if (!KEY) throw new Error('KYC_API_KEY is not set');

// A real back end keeps the lead id with the signed-in customer; this example remembers
// the leads it created, and answers about those only.
const ours = new Set();

class KycRefused extends Error {
  constructor(status, problem) {
    super(`KYC API answered ${status} ${problem.code}`);
    this.status = status;
    // A link's lead fields are named under `lead.` (`lead.address.country`).
    this.fields = (problem.errors ?? []).map((e) => String(e.field).replace(/^lead\./, ''));
  }
}

async function kyc(method, path, body) {
  const answer = await fetch(API + path, {
    method,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await answer.json();
  if (!answer.ok) throw new KycRefused(answer.status, json);
  return json;
}

async function readJson(req) {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 10_000) throw new KycRefused(413, { code: 'too_large' });
  }
  return JSON.parse(text || '{}');
}

const routes = {
  // One hosted verification for the customer, at the level this product needs, with
  // what the customer told us at sign-up; the customer comes back here when done.
  'POST /api/verification': async (customer) => {
    const link = await kyc('POST', '/v1/kyc-links', {
      lead: {
        external_id: `acme-customer-${randomUUID()}`,
        email: customer.email,
        individual: { first_name: customer.first_name, last_name: customer.last_name },
        address: { line1: customer.line1, city: customer.city, postal_code: customer.postal_code, country: customer.country },
      },
      level: 'enhanced',
      redirect_url: `${PUBLIC_URL}/`,
    });
    ours.add(link.lead_id);
    return { lead_id: link.lead_id, url: link.url, expires_at: link.expires_at };
  },
  // Status and missing documents only: nothing personal goes back to the browser.
  'GET /api/verification/:id': async (id) => {
    if (!ours.has(id)) return null;
    const lead = await kyc('GET', `/v1/leads/${encodeURIComponent(id)}`);
    return { status: lead.status, missing: lead.requirements.missing };
  },
};

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function serveFile(res, path) {
  const file = normalize(join(DIST, path === '/' ? 'index.html' : path));
  if (!file.startsWith(DIST)) return send(res, 404, 'text/plain', 'not found');
  try {
    send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file));
  } catch {
    send(res, 404, 'text/plain', 'not found');
  }
}

createServer(async (req, res) => {
  const { pathname } = new URL(req.url, PUBLIC_URL);
  const status = pathname.match(/^\/api\/verification\/([A-Za-z0-9_]+)$/);
  try {
    if (req.method === 'POST' && pathname === '/api/verification') {
      const customer = await readJson(req);
      return send(res, 201, 'application/json', JSON.stringify(await routes['POST /api/verification'](customer)));
    }
    if (req.method === 'GET' && status) {
      const progress = await routes['GET /api/verification/:id'](status[1]);
      return progress
        ? send(res, 200, 'application/json', JSON.stringify(progress))
        : send(res, 404, 'application/json', '{"error":"unknown verification"}');
    }
    if (req.method === 'GET' && !pathname.startsWith('/api/')) return serveFile(res, pathname);
    send(res, 404, 'application/json', '{"error":"not found"}');
  } catch (error) {
    // The KYC API names the field it refused (problem+json): tell the page which one.
    if (error instanceof KycRefused && error.status === 422) {
      return send(res, 422, 'application/json', JSON.stringify({ error: 'invalid', fields: error.fields }));
    }
    if (error instanceof SyntaxError) return send(res, 400, 'application/json', '{"error":"not JSON"}');
    console.error(String(error.message)); // codes only: never the customer's data
    send(res, 502, 'application/json', '{"error":"the KYC service did not answer"}');
  }
}).listen(PORT, HOST, () => console.log(`example back end on ${PUBLIC_URL}`));
