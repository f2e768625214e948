//! SDK clients built at their first call instead of at a function's cold start.
//!
//! Constructing a client is not free: each service crate of the SDK parses its own copy
//! of the AWS partitions table (JSON, with a regular expression per partition) the first
//! time one of its clients is built, and then assembles the client's runtime plugins.
//! A function pays that once per service crate in its init phase, for every client it
//! holds, whether or not its invocations ever call that service. A [`Deferred`] client
//! is built once, by the first call that needs it; a path that never calls the service
//! never builds it. Clients every invocation needs (the table's) are built at the cold
//! start as before: deferring them would only move the cost into the first request.

use std::sync::OnceLock;

/// A client built by `build` at the first dereference, then shared by every caller.
pub struct Deferred<C> {
    client: OnceLock<C>,
    build: Box<dyn Fn() -> C + Send + Sync>,
}

impl<C> Deferred<C> {
    /// A client that `build` makes when it is first needed.
    pub fn new(build: impl Fn() -> C + Send + Sync + 'static) -> Self {
        Deferred { client: OnceLock::new(), build: Box::new(build) }
    }

    /// A client already built (tests, `kyc-local`): nothing is deferred. (SDK clients
    /// are handles to shared state, so the copy kept as `build` is the same client.)
    pub fn built(client: C) -> Self
    where
        C: Clone + Send + Sync + 'static,
    {
        let deferred = Deferred::new({
            let client = client.clone();
            move || client.clone()
        });
        let _ = deferred.client.set(client);
        deferred
    }

    /// Whether the client exists yet (for tests of what a cold start builds).
    pub fn is_built(&self) -> bool {
        self.client.get().is_some()
    }
}

impl<C> std::ops::Deref for Deferred<C> {
    type Target = C;

    fn deref(&self) -> &C {
        self.client.get_or_init(|| (self.build)())
    }
}

impl<C> From<C> for Deferred<C>
where
    C: Clone + Send + Sync + 'static,
{
    fn from(client: C) -> Self {
        Deferred::built(client)
    }
}

impl<C> std::fmt::Debug for Deferred<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deferred").field("built", &self.is_built()).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::Deferred;

    #[test]
    fn a_deferred_client_is_built_by_its_first_use_and_only_once() {
        let builds = Arc::new(AtomicUsize::new(0));
        let counter = builds.clone();
        let client = Deferred::new(move || counter.fetch_add(1, Ordering::SeqCst) + 100);
        assert!(!client.is_built());
        assert_eq!(builds.load(Ordering::SeqCst), 0, "nothing is built before the first call");
        assert_eq!(*client, 100);
        assert_eq!(*client, 100);
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        assert!(client.is_built());
    }

    #[test]
    fn concurrent_first_uses_build_one_client() {
        let builds = Arc::new(AtomicUsize::new(0));
        let counter = builds.clone();
        let client = Arc::new(Deferred::new(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            counter.fetch_add(1, Ordering::SeqCst)
        }));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let client = client.clone();
                std::thread::spawn(move || **client)
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().expect("no panic"), 0);
        }
        assert_eq!(builds.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_client_given_already_built_is_used_as_it_is() {
        let client = Deferred::built(String::from("ready"));
        assert!(client.is_built());
        assert_eq!(client.as_str(), "ready");
    }
}
