//! A panic inside a run is a bug, and a bug must not leave debug on a production router: the
//! steps run inside [`CatchUnwind`], so a panic ends them like an error would and the cleanup
//! that follows still runs.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A future whose panic comes back as `Err(message)`.
pub struct CatchUnwind<'a, T>(Pin<Box<dyn Future<Output = T> + Send + 'a>>);

impl<'a, T> CatchUnwind<'a, T> {
    pub fn new(f: impl Future<Output = T> + Send + 'a) -> CatchUnwind<'a, T> {
        CatchUnwind(Box::pin(f))
    }
}

impl<T> Future for CatchUnwind<'_, T> {
    type Output = Result<T, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The state behind a panic is not trusted again: the caller only cleans up after it.
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(message(payload.as_ref()))),
        }
    }
}

/// What `panic!` said.
pub fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_an_error() {
        let ok = CatchUnwind::new(async { 7 }).await;
        assert_eq!(ok, Ok(7));
        let v: Vec<u32> = Vec::new();
        let err = CatchUnwind::new(async move {
            tokio::task::yield_now().await;
            v[3]
        })
        .await;
        assert!(err.unwrap_err().contains("index out of bounds"));
    }
}
