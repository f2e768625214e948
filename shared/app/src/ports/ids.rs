//! Identity as a port, so tests can pin the ids they expect.

use uuid::Uuid;

pub trait Ids: Send + Sync {
    /// A fresh, time-ordered UUID.
    fn uuid(&self) -> Uuid;
}

pub struct UuidV7Ids;

impl Ids for UuidV7Ids {
    fn uuid(&self) -> Uuid {
        Uuid::now_v7()
    }
}
