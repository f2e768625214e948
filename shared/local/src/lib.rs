//! Embedded adapters for running without AWS: the `Table` port on SQLite.

pub mod table;

pub use table::SqliteTable;
