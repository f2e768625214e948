//! Embedded adapters for running without AWS: the `Table` port on SQLite.

pub mod objects;
pub mod queue;
pub mod table;

pub use objects::LocalObjects;
pub use queue::LocalQueue;
pub use table::SqliteTable;
