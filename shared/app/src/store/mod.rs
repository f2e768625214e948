//! Storage on top of the `Table` port: the one layout of keys and indexes, the unit of
//! work every lead change commits through, counters written with changes, idempotency
//! records, and the paging every list uses.

pub mod counters;
pub mod idempotency;
pub mod layout;
pub mod lead_record;
pub mod page;
pub mod unit_of_work;

pub use idempotency::{Idempotency, Replayable};
pub use lead_record::LeadRecord;
pub use page::{ListPage, ListQuery};
pub use unit_of_work::{AsyncChange, Change, Outcome, load, mutate};
