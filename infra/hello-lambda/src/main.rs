//! A `lambda_http` function that answers "hello": what a cold start costs before any of
//! the project's own initialisation. The cold-init benchmark divides each function's
//! init time by this one's.

use lambda_http::{Body, Error, Request, Response, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(|_: Request| async { Ok::<_, Error>(Response::new(Body::from("hello"))) })).await
}
