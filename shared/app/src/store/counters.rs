//! Counters written in the same transaction as the change they count (DynamoDB's
//! atomic `ADD`): the funnel metrics of each day and of the live pipeline, and the
//! velocity of leads per IP address or device that risk scoring reads.
//!
//! A day's item counts what happened that day (`created`, `src_*`, `country_*`,
//! `decided`, `approved`, `rejected`, `reason_*`, processing-time sum, count and
//! histogram) and, for the leads created that day, where they are now (`st_*`: the
//! cohort, for drop-off and conversion). Writes are spread over shards so that busy
//! tenants do not hammer one item.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use kyc_domain::lead::Lead;
use kyc_domain::status::Status;

use crate::ports::table::{Key, Write};
use crate::store::layout;
use crate::tenant::TenantId;

pub const SHARDS: u32 = 4;
/// Upper bounds (seconds) of the processing-time histogram; one more bucket holds the rest.
pub const PROCESSING_BUCKETS: [i64; 10] = [60, 300, 900, 3_600, 14_400, 43_200, 86_400, 259_200, 604_800, 2_592_000];
/// The velocity counters' attribute, and how long an hour's counter is kept.
pub const VELOCITY_COUNTER: &str = "leads";
const VELOCITY_RETENTION: Duration = Duration::hours(3);

fn shard_of(lead: &Lead) -> u32 {
    lead.id.as_str().bytes().last().map_or(0, |b| u32::from(b) % SHARDS)
}

pub fn status_counter(status: Status) -> String {
    format!("st_{status}")
}

/// Counter deltas of one change, one `Add` per item (a transaction touches an item once).
#[derive(Default)]
struct Deltas(BTreeMap<Key, BTreeMap<String, i64>>);

impl Deltas {
    fn add(&mut self, key: &Key, counter: impl Into<String>, by: i64) {
        *self.0.entry(key.clone()).or_default().entry(counter.into()).or_default() += by;
    }

    fn into_writes(self) -> Vec<Write> {
        let mut writes = Vec::new();
        for (key, counters) in self.0 {
            let deltas: Vec<(String, i64)> = counters.into_iter().filter(|(_, by)| *by != 0).collect();
            if !deltas.is_empty() {
                writes.push(Write::Add { key, deltas, ttl: None });
            }
        }
        writes
    }
}

/// The counter writes of several changes as one `Add` per item (a transaction touches
/// an item once): deltas summed, the latest expiry kept. Other writes pass unchanged.
pub fn merge(writes: Vec<Write>) -> Vec<Write> {
    let mut adds: BTreeMap<Key, (BTreeMap<String, i64>, Option<i64>)> = BTreeMap::new();
    let mut others = Vec::new();
    for write in writes {
        match write {
            Write::Add { key, deltas, ttl } => {
                let (sums, expiry) = adds.entry(key).or_default();
                for (name, by) in deltas {
                    *sums.entry(name).or_default() += by;
                }
                *expiry = (*expiry).max(ttl);
            }
            other => others.push(other),
        }
    }
    others.extend(adds.into_iter().map(|(key, (sums, ttl))| Write::Add { key, deltas: sums.into_iter().collect(), ttl }));
    others
}

/// The counters a new lead adds: the funnel, and its IP and device this hour.
pub fn on_created(tenant: &TenantId, lead: &Lead) -> Vec<Write> {
    let shard = shard_of(lead);
    let day = layout::counter_key(layout::day_counters_pk(tenant, lead.created_at.date_naive()), shard);
    let mut d = Deltas::default();
    d.add(&day, "created", 1);
    d.add(&day, format!("src_{}", lead.source.as_str()), 1);
    if let Some(country) = lead.country() {
        d.add(&day, format!("country_{country}"), 1);
    }
    d.add(&day, status_counter(lead.status), 1);
    d.add(&layout::counter_key(layout::pipeline_counters_pk(tenant), shard), status_counter(lead.status), 1);
    let mut writes = d.into_writes();
    writes.extend(velocity_writes(tenant, lead, lead.created_at));
    writes
}

/// The counters a change of a lead moves (none unless its status changed).
pub fn on_change(tenant: &TenantId, before: &Lead, after: &Lead, now: DateTime<Utc>) -> Vec<Write> {
    if before.status == after.status {
        return Vec::new();
    }
    let shard = shard_of(after);
    let cohort = layout::counter_key(layout::day_counters_pk(tenant, after.created_at.date_naive()), shard);
    let pipeline = layout::counter_key(layout::pipeline_counters_pk(tenant), shard);
    let mut d = Deltas::default();
    for key in [&cohort, &pipeline] {
        d.add(key, status_counter(before.status), -1);
        d.add(key, status_counter(after.status), 1);
    }
    if matches!(after.status, Status::Approved | Status::Rejected) {
        let day = layout::counter_key(layout::day_counters_pk(tenant, now.date_naive()), shard);
        d.add(&day, "decided", 1);
        d.add(&day, after.status.as_str(), 1);
        for reason in after.rejection.iter().flat_map(|r| &r.reasons) {
            d.add(&day, format!("reason_{}", reason.as_str()), 1);
        }
        let seconds = (now - after.created_at).num_seconds().max(0);
        d.add(&day, "proc_n", 1);
        d.add(&day, "proc_sum", seconds);
        let bucket = PROCESSING_BUCKETS.iter().position(|bound| seconds <= *bound).unwrap_or(PROCESSING_BUCKETS.len());
        d.add(&day, format!("proc_b{bucket}"), 1);
    }
    d.into_writes()
}

/// The velocity signals of a lead: its IP address and device id, when given.
pub fn velocity_signals(lead: &Lead) -> [(&'static str, Option<&str>); 2] {
    let signals = lead.signals.as_ref();
    [("ip", signals.and_then(|s| s.ip_address.as_deref())), ("device", signals.and_then(|s| s.device_id.as_deref()))]
}

fn velocity_writes(tenant: &TenantId, lead: &Lead, at: DateTime<Utc>) -> Vec<Write> {
    let ttl = (at + VELOCITY_RETENTION).timestamp();
    velocity_signals(lead)
        .into_iter()
        .filter_map(|(signal, value)| Some((signal, value?)))
        .map(|(signal, value)| Write::Add {
            key: layout::velocity_key(tenant, signal, value, at),
            deltas: vec![(VELOCITY_COUNTER.into(), 1)],
            ttl: Some(ttl),
        })
        .collect()
}
