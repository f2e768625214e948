//! Funnel and pipeline reports, read from the counters that every change bumps in
//! its own transaction (`store::counters`): one partition per day, so a report's
//! cost does not grow with the number of leads.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeDelta};
use serde::Serialize;

use kyc_domain::status::Status;

use crate::Deps;
use crate::error::AppError;
use crate::ports::table::{Attr, Index, Query, SortKey, TTL_ATTR};
use crate::store::counters::{PROCESSING_BUCKETS, status_counter};
use crate::store::{LeadRecord, layout};
use crate::tenant::TenantId;

/// The longest report, in days.
pub const MAX_DAYS: i64 = 366;

// ----------------------------------------------------------------------- reading

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProcessingSeconds {
    pub mean: u64,
    pub p50: u64,
    pub p90: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DropOff {
    pub not_started: i64,
    pub in_progress: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Daily {
    pub date: NaiveDate,
    pub created: i64,
    pub approved: i64,
    pub rejected: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metrics {
    pub object: &'static str,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub leads_created: i64,
    pub by_source: BTreeMap<String, i64>,
    pub decided: i64,
    pub approved: i64,
    pub rejected: i64,
    /// approved / decided, of the decisions made in the range.
    pub approval_rate: f64,
    /// Leads created in the range that are approved now, over leads created in the range.
    pub conversion_rate: f64,
    /// From creation to decision, of the decisions made in the range; p50 and p90 are the
    /// upper bounds of the histogram buckets they fall in.
    pub processing_seconds: ProcessingSeconds,
    /// Leads created in the range that still wait.
    pub drop_off: DropOff,
    pub rejection_reasons: BTreeMap<String, i64>,
    pub countries: BTreeMap<String, i64>,
    pub daily: Vec<Daily>,
}

fn rate(part: i64, whole: i64) -> f64 {
    if whole <= 0 { 0.0 } else { (part as f64 / whole as f64).clamp(0.0, 1.0) }
}

/// The counters of all shards of one partition, summed.
async fn summed(deps: &Deps, partition: String) -> Result<BTreeMap<String, i64>, AppError> {
    let query = Query {
        index: Index::Primary,
        partition,
        sort: SortKey::BeginsWith(layout::COUNTER_SK_PREFIX.into()),
        forward: true,
        limit: 100,
        start_after: None,
    };
    let page = deps.table.query(&query).await?;
    let mut sums = BTreeMap::new();
    for item in &page.items {
        for (name, value) in &item.attrs {
            if let Attr::N(n) = value
                && name != TTL_ATTR
            {
                *sums.entry(name.clone()).or_default() += *n;
            }
        }
    }
    Ok(sums)
}

fn quantile(histogram: &[i64], count: i64, q: f64) -> u64 {
    if count <= 0 {
        return 0;
    }
    let target = (q * count as f64).ceil() as i64;
    let mut seen = 0;
    for (i, n) in histogram.iter().enumerate() {
        seen += n;
        if seen >= target {
            return PROCESSING_BUCKETS.get(i).copied().unwrap_or(PROCESSING_BUCKETS[PROCESSING_BUCKETS.len() - 1])
                as u64;
        }
    }
    PROCESSING_BUCKETS[PROCESSING_BUCKETS.len() - 1] as u64
}

/// The report for `from..=to` (days, UTC): one read per day, whatever the lead count.
pub async fn metrics(deps: &Deps, tenant: &TenantId, from: NaiveDate, to: NaiveDate) -> Result<Metrics, AppError> {
    if from > to {
        return Err(AppError::invalid_query("from", "must not be after `to`"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(AppError::invalid_query("from", format!("a report covers at most {MAX_DAYS} days")));
    }
    let mut total: BTreeMap<String, i64> = BTreeMap::new();
    let mut daily = Vec::new();
    let mut day = from;
    while day <= to {
        let sums = summed(deps, layout::day_counters_pk(tenant, day)).await?;
        let get = |k: &str| sums.get(k).copied().unwrap_or(0);
        daily.push(Daily { date: day, created: get("created"), approved: get("approved"), rejected: get("rejected") });
        for (k, v) in &sums {
            *total.entry(k.clone()).or_default() += v;
        }
        day += TimeDelta::days(1);
    }
    let get = |k: &str| total.get(k).copied().unwrap_or(0);
    let with_prefix = |prefix: &str| -> BTreeMap<String, i64> {
        total
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|rest| (rest.to_string(), *v)))
            .filter(|(_, v)| *v != 0)
            .collect()
    };
    let histogram: Vec<i64> = (0..=PROCESSING_BUCKETS.len()).map(|i| get(&format!("proc_b{i}"))).collect();
    let (proc_n, proc_sum) = (get("proc_n"), get("proc_sum"));
    Ok(Metrics {
        object: "metrics",
        from,
        to,
        leads_created: get("created"),
        by_source: with_prefix("src_"),
        decided: get("decided"),
        approved: get("approved"),
        rejected: get("rejected"),
        approval_rate: rate(get("approved"), get("decided")),
        conversion_rate: rate(get("st_approved"), get("created")),
        processing_seconds: ProcessingSeconds {
            mean: if proc_n > 0 { (proc_sum / proc_n) as u64 } else { 0 },
            p50: quantile(&histogram, proc_n, 0.5),
            p90: quantile(&histogram, proc_n, 0.9),
        },
        drop_off: DropOff { not_started: get("st_not_started").max(0), in_progress: get("st_in_progress").max(0) },
        rejection_reasons: with_prefix("reason_"),
        countries: with_prefix("country_"),
        daily,
    })
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Pipeline {
    pub object: &'static str,
    pub by_status: BTreeMap<String, i64>,
    pub oldest_under_review_age_seconds: Option<i64>,
}

/// Live counts by status and the age of the review queue's oldest lead: two reads.
pub async fn pipeline(deps: &Deps, tenant: &TenantId) -> Result<Pipeline, AppError> {
    let sums = summed(deps, layout::pipeline_counters_pk(tenant)).await?;
    let by_status = Status::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), sums.get(&status_counter(*s)).copied().unwrap_or(0).max(0)))
        .collect();
    let queue = Query {
        index: Index::Gsi1,
        partition: layout::status_queue_pk(tenant, Status::UnderReview),
        sort: SortKey::Any,
        forward: true,
        limit: 1,
        start_after: None,
    };
    let oldest = deps.table.query(&queue).await?.items.into_iter().next();
    let age = match oldest {
        Some(item) => {
            let lead = LeadRecord::from_item(tenant, &item)?.lead;
            Some((deps.clock.now() - lead.status_changed_at).num_seconds().max(0))
        }
        None => None,
    };
    Ok(Pipeline { object: "pipeline_metrics", by_status, oldest_under_review_age_seconds: age })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_the_upper_bounds_of_their_buckets() {
        let mut histogram = vec![0; PROCESSING_BUCKETS.len() + 1];
        histogram[0] = 5; // <= 1 min
        histogram[3] = 4; // <= 1 h
        histogram[6] = 1; // <= 1 day
        assert_eq!(quantile(&histogram, 10, 0.5), 60);
        assert_eq!(quantile(&histogram, 10, 0.9), 3_600);
        assert_eq!(quantile(&histogram, 10, 1.0), 86_400);
        assert_eq!(quantile(&histogram, 0, 0.5), 0);
    }

    #[test]
    fn rates_are_fractions_and_zero_without_a_base() {
        assert_eq!(rate(1, 4), 0.25);
        assert_eq!(rate(0, 0), 0.0);
        assert_eq!(rate(5, 4), 1.0);
    }
}
