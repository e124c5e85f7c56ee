//! Waiting goes through a `Sleeper` so tests of minute-long rate limits run instantly and can
//! assert on exactly what was asked for.

use futures::future::BoxFuture;
use std::sync::Mutex;
use std::time::Duration;

/// Something that can wait.
pub trait Sleeper: Send + Sync {
    fn sleep(&self, wait: Duration) -> BoxFuture<'_, ()>;
}

#[derive(Debug, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, wait: Duration) -> BoxFuture<'_, ()> {
        Box::pin(tokio::time::sleep(wait))
    }
}

/// Returns at once and remembers every wait it was asked for.
#[derive(Debug, Default)]
pub struct RecordingSleeper(Mutex<Vec<Duration>>);

impl RecordingSleeper {
    pub fn waits(&self) -> Vec<Duration> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, wait: Duration) -> BoxFuture<'_, ()> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(wait);
        Box::pin(std::future::ready(()))
    }
}
