//! Every list of the API, read one way: opaque cursors and one paging routine.
//!
//! A cursor names the index and partition it was issued for, so one issued for another
//! query (or another tenant) is refused rather than obeyed. It points between two
//! results: after a stored item, and `o` results into the next one, because one item
//! can stand for several results (an approval is two webhook events) and a page never
//! holds more than its `limit`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ports::table::{Index, Item, PageKey, Query, SortKey, Table};

/// Pages one list request may read while filtering, before it returns what it has.
const MAX_PAGES_PER_LIST: usize = 20;
/// Results per page: the default and the bounds.
pub const DEFAULT_LIMIT: u32 = 25;
pub const MAX_LIMIT: u32 = 100;

/// What a reader asks of a list: how many results, from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest { limit: DEFAULT_LIMIT, cursor: None }
    }
}

impl PageRequest {
    /// The largest page, from `cursor` (for internal reads that walk a whole list).
    pub fn largest(cursor: Option<String>) -> PageRequest {
        PageRequest { limit: MAX_LIMIT, cursor }
    }
}

#[derive(Debug, Serialize)]
pub struct ListPage<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct CursorBody {
    v: u8,
    i: String,
    p: String,
    /// The last item fully or partly read (`None`: the start of the partition).
    k: Option<PageKey>,
    /// Results of the item after `k` already returned.
    #[serde(default, skip_serializing_if = "is_zero")]
    o: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A position in a list: after `key`, `skip` results into the next item.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Position {
    pub key: Option<PageKey>,
    pub skip: u32,
}

fn index_tag(index: Index) -> &'static str {
    match index {
        Index::Primary => "p",
        Index::Gsi1 => "1",
        Index::Gsi2 => "2",
        Index::Gsi3 => "3",
    }
}

pub fn encode(index: Index, partition: &str, at: &Position) -> Result<String, AppError> {
    let body = CursorBody { v: 1, i: index_tag(index).into(), p: partition.into(), k: at.key.clone(), o: at.skip };
    let json = serde_json::to_vec(&body).map_err(|e| AppError::internal_from("cannot encode a cursor", e))?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

/// The position a cursor stands for, if it was issued for this index and partition;
/// `param` names the parameter it came in (`cursor`, `after`).
pub fn decode(param: &str, cursor: &str, index: Index, partition: &str) -> Result<Position, AppError> {
    let refused = || AppError::invalid_query(param, "is not a cursor issued for this list");
    if cursor.len() > 2048 {
        return Err(refused());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| refused())?;
    let body: CursorBody = serde_json::from_slice(&bytes).map_err(|_| refused())?;
    let key_in_partition = match (&body.k, index) {
        (None, _) => true,
        (Some(k), Index::Primary) => k.pk == partition,
        (Some(k), _) => k.ipk.as_deref() == Some(partition),
    };
    if body.v != 1 || body.i != index_tag(index) || body.p != partition || !key_in_partition {
        return Err(refused());
    }
    Ok(Position { key: body.k, skip: body.o })
}

/// One list: a partition of the table or an index, read in order from a cursor.
pub struct ListQuery<'a> {
    pub index: Index,
    pub partition: String,
    pub sort: SortKey,
    pub forward: bool,
    /// Results in one answer (clamped to 1..=100).
    pub limit: u32,
    pub cursor: Option<&'a str>,
    /// The parameter the cursor travels in (`cursor`, or `after` for the event feed).
    pub cursor_param: &'static str,
    /// A feed hands back a cursor at its end too, so a reader can resume there later.
    pub resume_at_end: bool,
}

impl ListQuery<'_> {
    /// A plain list of a primary-key partition, sort keys starting with `prefix`.
    pub fn partition<'a>(partition: String, prefix: &str, forward: bool, page: &'a PageRequest) -> ListQuery<'a> {
        ListQuery {
            index: Index::Primary,
            partition,
            sort: SortKey::BeginsWith(prefix.to_string()),
            forward,
            limit: page.limit,
            cursor: page.cursor.as_deref(),
            cursor_param: "cursor",
            resume_at_end: false,
        }
    }
}

/// Reads stored items in order and turns each into zero or more results (`results_of`
/// filters and expands), until `limit` results are found, the partition ends, or
/// [`MAX_PAGES_PER_LIST`] pages were read (then the cursor resumes where it stopped).
pub async fn list<T>(
    table: &dyn Table,
    query: ListQuery<'_>,
    mut results_of: impl FnMut(&Item) -> Result<Vec<T>, AppError>,
) -> Result<ListPage<T>, AppError> {
    let (index, partition) = (query.index, query.partition.as_str());
    let mut at = match query.cursor {
        Some(cursor) => decode(query.cursor_param, cursor, index, partition)?,
        None => Position::default(),
    };
    let limit = query.limit.clamp(1, MAX_LIMIT) as usize;
    let mut data = Vec::with_capacity(limit);
    let next = |at: &Position| encode(index, partition, at).map(Some);
    for _ in 0..MAX_PAGES_PER_LIST {
        let page = table
            .query(&Query {
                index,
                partition: partition.to_string(),
                sort: query.sort.clone(),
                forward: query.forward,
                limit: limit as u32,
                start_after: at.key.clone(),
            })
            .await?;
        for item in &page.items {
            let results = results_of(item)?;
            let skip = at.skip as usize;
            let available = results.len().saturating_sub(skip);
            let taken = available.min(limit - data.len());
            data.extend(results.into_iter().skip(skip).take(taken));
            if taken < available {
                // The page is full inside this item: resume with its remaining results.
                let resume = Position { key: at.key, skip: (skip + taken) as u32 };
                return Ok(ListPage { data, next_cursor: next(&resume)? });
            }
            at = Position { key: Some(PageKey::of(item, index)), skip: 0 };
            if data.len() == limit {
                return Ok(ListPage { data, next_cursor: next(&at)? });
            }
        }
        if page.next.is_none() {
            let resume = query.resume_at_end && !data.is_empty();
            return Ok(ListPage { data, next_cursor: if resume { next(&at)? } else { None } });
        }
        at = Position { key: page.next, skip: 0 };
    }
    // Filtering read many pages without filling one answer: hand back what was read so far.
    Ok(ListPage { data, next_cursor: next(&at)? })
}

/// Every result of a primary-key partition's items starting with `prefix`, page after
/// page, until the partition ends or `max` results were read.
pub async fn list_all<T>(
    table: &dyn Table,
    partition: String,
    prefix: &str,
    forward: bool,
    max: usize,
    mut results_of: impl FnMut(&Item) -> Result<Vec<T>, AppError>,
) -> Result<Vec<T>, AppError> {
    let mut all = Vec::new();
    let mut page = PageRequest::largest(None);
    loop {
        let query = ListQuery::partition(partition.clone(), prefix, forward, &page);
        let read = list(table, query, &mut results_of).await?;
        all.extend(read.data);
        match read.next_cursor {
            Some(next) if all.len() < max => page.cursor = Some(next),
            _ => return Ok(all),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PageKey {
        PageKey { pk: "T#a#L#x".into(), sk: "LEAD".into(), ipk: Some("T#a#LEADS".into()), isk: Some("2026".into()) }
    }

    #[test]
    fn a_cursor_round_trips_for_its_own_query() {
        let at = Position { key: Some(key()), skip: 1 };
        let c = encode(Index::Gsi3, "T#a#LEADS", &at).expect("encodes");
        assert_eq!(decode("cursor", &c, Index::Gsi3, "T#a#LEADS").ok(), Some(at));
    }

    #[test]
    fn a_cursor_is_refused_for_another_tenant_or_index_or_garbage() {
        let c = encode(Index::Gsi3, "T#a#LEADS", &Position { key: Some(key()), skip: 0 }).expect("encodes");
        assert!(decode("cursor", &c, Index::Gsi3, "T#b#LEADS").is_err());
        assert!(decode("cursor", &c, Index::Gsi1, "T#a#LEADS").is_err());
        assert!(decode("cursor", "not-a-cursor", Index::Gsi3, "T#a#LEADS").is_err());
        assert!(decode("cursor", "0", Index::Gsi3, "T#a#LEADS").is_err());
    }

    /// One partition in memory, read in sort-key order, pages of `limit`.
    struct Partition(Vec<Item>);

    #[async_trait::async_trait]
    impl Table for Partition {
        async fn get(&self, _: &crate::ports::table::Key) -> Result<Option<Item>, crate::ports::table::TableError> {
            Ok(None)
        }

        async fn query(&self, query: &Query) -> Result<crate::ports::table::Page, crate::ports::table::TableError> {
            let after = query.start_after.as_ref().map(|k| k.sk.clone());
            let rest: Vec<Item> =
                self.0.iter().filter(|i| after.as_ref().is_none_or(|a| i.key.sk > *a)).cloned().collect();
            let items: Vec<Item> = rest.iter().take(query.limit as usize).cloned().collect();
            let next =
                (rest.len() > items.len()).then(|| PageKey::of(items.last().expect("a full page"), Index::Primary));
            Ok(crate::ports::table::Page { items, next })
        }

        async fn transact(&self, _: Vec<crate::ports::table::Write>) -> Result<(), crate::ports::table::TableError> {
            Ok(())
        }
    }

    fn partition(sks: &[&str]) -> Partition {
        Partition(sks.iter().map(|sk| Item::new(crate::ports::table::Key::new("P", *sk), String::new())).collect())
    }

    /// Reads the whole list `limit` at a time; each item stands for `per_item(sk)` results.
    async fn read_all(table: &Partition, limit: u32, per_item: fn(&str) -> usize) -> Vec<Vec<String>> {
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..20 {
            let page = PageRequest { limit, cursor: cursor.clone() };
            let read = list(table, ListQuery::partition("P".into(), "", true, &page), |item| {
                Ok((1..=per_item(&item.key.sk)).map(|n| format!("{}{n}", item.key.sk)).collect())
            })
            .await
            .expect("listed");
            assert!(read.data.len() <= limit as usize, "a page never exceeds its limit");
            pages.push(read.data);
            match read.next_cursor {
                Some(next) => cursor = Some(next),
                None => return pages,
            }
        }
        panic!("the list never ended");
    }

    #[tokio::test]
    async fn items_of_two_results_are_paged_without_gap_or_repeat() {
        let table = partition(&["a", "b", "c"]);
        let pages = read_all(&table, 3, |_| 2).await;
        assert_eq!(pages[0], ["a1", "a2", "b1"]);
        assert_eq!(pages[1], ["b2", "c1", "c2"]);
        assert_eq!(pages.concat(), ["a1", "a2", "b1", "b2", "c1", "c2"]);
    }

    #[tokio::test]
    async fn a_page_of_one_resumes_inside_an_item() {
        let table = partition(&["a", "b"]);
        let pages = read_all(&table, 1, |sk| if sk == "a" { 2 } else { 1 }).await;
        assert_eq!(pages.concat(), ["a1", "a2", "b1"]);
        assert!(pages.iter().all(|p| p.len() <= 1));
    }

    #[tokio::test]
    async fn items_filtered_out_are_skipped_across_store_pages() {
        let table = partition(&["a", "b", "c", "d", "e", "f", "g"]);
        let pages = read_all(&table, 2, |sk| usize::from(sk == "b" || sk == "g")).await;
        assert_eq!(pages.concat(), ["b1", "g1"]);
    }

    #[test]
    fn a_cursor_of_the_first_version_still_decodes() {
        // Cursors issued before offsets existed carry no `o` and always a key.
        let old = r#"{"v":1,"i":"3","p":"T#a#LEADS","k":{"pk":"T#a#L#x","sk":"LEAD","ipk":"T#a#LEADS","isk":"2026"}}"#;
        let c = URL_SAFE_NO_PAD.encode(old);
        assert_eq!(decode("after", &c, Index::Gsi3, "T#a#LEADS").ok(), Some(Position { key: Some(key()), skip: 0 }));
    }
}
