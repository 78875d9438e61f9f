//! The [`Transport`] a client talks to its relay through: one HTTP-level request in, status
//! and body out. [`HttpTransport`] sends it over HTTP; [`InProcessTransport`] hands it to the
//! relay's router in the same process (tests, examples).

use std::future::Future;

use axum::body::Body;
use tower::ServiceExt as _;

/// An HTTP method the relay API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
}

impl Method {
    fn as_http(self) -> axum::http::Method {
        match self {
            Self::Get => axum::http::Method::GET,
            Self::Post => axum::http::Method::POST,
            Self::Put => axum::http::Method::PUT,
        }
    }
}

/// One request: method, path with query (`/v1/messages?wait=0`), headers, body.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path and query, starting with `/`.
    pub path: String,
    /// Header names and values (`Authorization`, `Sotto-Access-Key`, `Content-Type`).
    pub headers: Vec<(String, String)>,
    /// The body (empty for none).
    pub body: Vec<u8>,
}

// Headers hold a device token or an access key: never printed.
impl core::fmt::Debug for Request {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &self.headers.len())
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The relay's answer: the status and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

/// The request never got an answer (connection refused or lost, a timeout, a request that
/// could not be built).
#[derive(Debug, thiserror::Error)]
#[error("transport failed")]
pub struct TransportError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// How a client reaches its relay. Implementations must be cheap to call concurrently.
pub trait Transport: Send + Sync + 'static {
    /// Sends `request` and returns the relay's answer (any status), or why there is none.
    fn call(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response, TransportError>> + Send;
}

/// HTTP to a relay at a base URL (`http://127.0.0.1:8080`), with `reqwest`.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    base: String,
    http: reqwest::Client,
}

impl HttpTransport {
    /// A transport to the relay at `base` (scheme, host and port, no trailing slash).
    #[must_use]
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            base: base.into().trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }
}

impl Transport for HttpTransport {
    async fn call(&self, request: Request) -> Result<Response, TransportError> {
        let method = request.method.as_http();
        let mut builder = self
            .http
            .request(method, format!("{}{}", self.base, request.path));
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let response = builder
            .body(request.body)
            .send()
            .await
            .map_err(|e| TransportError(Box::new(e)))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| TransportError(Box::new(e)))?;
        Ok(Response {
            status,
            body: body.to_vec(),
        })
    }
}

/// The relay's router in this process (from `sotto_relay::Relay::in_process`): each request
/// is handed to the router with `tower::ServiceExt::oneshot`, no socket involved. Every
/// handler, limit and check of the relay runs as over HTTP.
#[derive(Debug, Clone)]
pub struct InProcessTransport {
    router: axum::Router,
}

impl InProcessTransport {
    /// A transport to `router`.
    #[must_use]
    pub const fn new(router: axum::Router) -> Self {
        Self { router }
    }
}

/// The most bytes read from an in-process answer (the relay's largest is a fetch of 100
/// maximal envelopes).
const MAX_ANSWER: usize = 3 << 30;

impl Transport for InProcessTransport {
    async fn call(&self, request: Request) -> Result<Response, TransportError> {
        let mut builder = axum::http::Request::builder()
            .method(request.method.as_http())
            .uri(request.path.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let http_request = builder
            .body(Body::from(request.body))
            .map_err(|e| TransportError(Box::new(e)))?;
        let response = match self.router.clone().oneshot(http_request).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), MAX_ANSWER)
            .await
            .map_err(|e| TransportError(Box::new(e)))?;
        Ok(Response {
            status,
            body: body.to_vec(),
        })
    }
}
