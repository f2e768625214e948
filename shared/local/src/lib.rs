//! Embedded adapters for running without AWS: the `Table` port on SQLite.

pub mod objects;
pub mod table;

pub use objects::LocalObjects;
pub use table::SqliteTable;
