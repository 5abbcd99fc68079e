//! The one blocking HTTP(S) GET this project makes: to a package index's
//! simple API, and to the installed app on loopback in the smoke test.
//!
//! Every request has a bounded time (connecting and the whole answer) and a
//! bounded body; statuses are values, not errors. Error texts never hold the
//! URL: a caller names the URL itself, masked if it carries credentials.

use std::time::Duration;

/// A GET request.
#[derive(Debug, Clone)]
pub struct Get<'a> {
    pub url: &'a str,
    /// The `Accept` header, if any.
    pub accept: Option<&'a str>,
    /// The limit for connecting and for the whole answer.
    pub timeout: Duration,
    /// The most body bytes read before giving up.
    pub max_body: u64,
    /// Read only the first `max_body` bytes of a longer body, instead of
    /// failing (to look at the start of a large page).
    pub truncate: bool,
    /// How many redirects to follow (0: none).
    pub redirects: u32,
    /// Whether the environment's proxy settings apply (off for loopback).
    pub proxy_from_env: bool,
}

/// An answer, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Response {
    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why no answer came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// No connection: refused, no such host, TLS failure.
    Network(String),
    /// No complete answer in time.
    Timeout,
    /// An answer that is not HTTP, or a body over the limit.
    Protocol(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Network(why) => write!(f, "no connection: {why}"),
            HttpError::Timeout => f.write_str("timed out"),
            HttpError::Protocol(why) => f.write_str(why),
        }
    }
}

/// Send the request and read the whole answer.
pub fn get(request: &Get<'_>) -> Result<Response, HttpError> {
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .build();
    let mut config = ureq::Agent::config_builder()
        .timeout_global(Some(request.timeout))
        .timeout_connect(Some(request.timeout))
        .http_status_as_error(false)
        .max_redirects(request.redirects)
        .user_agent(concat!("invokeai-xtask/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls);
    if !request.proxy_from_env {
        config = config.proxy(None);
    }
    let agent: ureq::Agent = config.build().into();
    let mut call = agent.get(request.url);
    if let Some(accept) = request.accept {
        call = call.header("Accept", accept);
    }
    let mut response = call.call().map_err(classify)?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = if request.truncate {
        use std::io::Read as _;
        let mut prefix = Vec::new();
        response
            .body_mut()
            .as_reader()
            .take(request.max_body)
            .read_to_end(&mut prefix)
            .map_err(|e| classify(ureq::Error::Io(e)))?;
        prefix
    } else {
        response
            .body_mut()
            .with_config()
            .limit(request.max_body)
            .read_to_vec()
            .map_err(classify)?
    };
    Ok(Response {
        status,
        content_type,
        body,
    })
}

fn classify(err: ureq::Error) -> HttpError {
    match err {
        ureq::Error::Timeout(_) => HttpError::Timeout,
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => HttpError::Timeout,
        ureq::Error::Io(_)
        | ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::Tls(_)
        | ureq::Error::Rustls(_) => HttpError::Network(err.to_string()),
        ureq::Error::BodyExceedsLimit(limit) => {
            HttpError::Protocol(format!("answered more than {limit} bytes"))
        }
        other => HttpError::Protocol(format!("did not answer in HTTP: {other}")),
    }
}
