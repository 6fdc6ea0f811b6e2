//! The HTTP boundary: request/response values and the tiny client traits the caller implements, blocking
//! ([`HttpClient`]) or async ([`AsyncHttpClient`]).
//!
//! Every exchange this crate needs (discovery, JWKS, token, userinfo) is built as an [`HttpRequest`] and read
//! back from an [`HttpResponse`], so a caller can also do the I/O itself and implement neither trait.

use url::Url;

/// HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
}

/// An HTTP request to send. Its `Debug` hides header values and the body (they carry secrets).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: Url,
    /// Headers (name, value).
    pub headers: Vec<(String, String)>,
    /// Body (empty for GET).
    pub body: Vec<u8>,
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl HttpRequest {
    /// A GET with `Accept`.
    #[must_use]
    pub fn get(url: Url, accept: &str) -> Self {
        Self {
            method: Method::Get,
            url,
            headers: vec![("Accept".to_owned(), accept.to_owned())],
            body: Vec::new(),
        }
    }

    /// The first header with `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP response as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers (name, value).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header with `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The media type of `Content-Type`, lowercased, without parameters.
    #[must_use]
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
    }
}

/// Sends one request and returns the response; implementations must not follow redirects to other hosts
/// and should apply timeouts. A transport failure is a `String` describing it (no secrets).
pub trait HttpClient {
    /// Performs the exchange.
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, String>;
}

// Shared and boxed clients (`&dyn HttpClient`, `Arc<dyn HttpClient>` in app state) work wherever a client does.
impl<T: HttpClient + ?Sized> HttpClient for &T {
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        (**self).execute(request)
    }
}

impl<T: HttpClient + ?Sized> HttpClient for Box<T> {
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        (**self).execute(request)
    }
}

impl<T: HttpClient + ?Sized> HttpClient for std::sync::Arc<T> {
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        (**self).execute(request)
    }
}

/// The async counterpart of [`HttpClient`], for [`complete_login_async`](crate::complete_login_async): same
/// contract (no redirects to other hosts, timeouts, a transport failure as a `String` without secrets). The
/// future is `Send` so the login runs inside multi-threaded executors (axum handlers). With the `reqwest`
/// feature, `reqwest::Client` implements it (build it with `reqwest_client()`: no redirects, a timeout).
pub trait AsyncHttpClient {
    /// Performs the exchange.
    fn execute(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, String>> + Send;
}

impl<T: AsyncHttpClient + Sync> AsyncHttpClient for &T {
    fn execute(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, String>> + Send {
        (**self).execute(request)
    }
}

impl<T: AsyncHttpClient + Send + Sync> AsyncHttpClient for std::sync::Arc<T> {
    fn execute(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, String>> + Send {
        (**self).execute(request)
    }
}

#[cfg(feature = "reqwest")]
mod reqwest_adapter {
    use super::{AsyncHttpClient, HttpClient, HttpRequest, HttpResponse, Method};

    fn build<B: ReqwestBuilder>(client: &B::Client, request: HttpRequest) -> B {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let mut builder = B::new(client, method, request.url);
        for (name, value) in request.headers {
            builder = builder.header(name, value);
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body);
        }
        builder
    }

    trait ReqwestBuilder: Sized {
        type Client;
        fn new(client: &Self::Client, method: reqwest::Method, url: url::Url) -> Self;
        fn header(self, name: String, value: String) -> Self;
        fn body(self, body: Vec<u8>) -> Self;
    }

    impl ReqwestBuilder for reqwest::blocking::RequestBuilder {
        type Client = reqwest::blocking::Client;
        fn new(client: &Self::Client, method: reqwest::Method, url: url::Url) -> Self {
            client.request(method, url)
        }
        fn header(self, name: String, value: String) -> Self {
            reqwest::blocking::RequestBuilder::header(self, name, value)
        }
        fn body(self, body: Vec<u8>) -> Self {
            reqwest::blocking::RequestBuilder::body(self, body)
        }
    }

    impl ReqwestBuilder for reqwest::RequestBuilder {
        type Client = reqwest::Client;
        fn new(client: &Self::Client, method: reqwest::Method, url: url::Url) -> Self {
            client.request(method, url)
        }
        fn header(self, name: String, value: String) -> Self {
            reqwest::RequestBuilder::header(self, name, value)
        }
        fn body(self, body: Vec<u8>) -> Self {
            reqwest::RequestBuilder::body(self, body)
        }
    }

    fn headers(map: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
        map.iter()
            .filter_map(|(n, v)| {
                v.to_str()
                    .ok()
                    .map(|v| (n.as_str().to_owned(), v.to_owned()))
            })
            .collect()
    }

    /// A blocking reqwest client (rustls) as an [`HttpClient`]. Build the client with redirects disabled
    /// (`redirect(Policy::none())`) and a timeout; [`ReqwestBlocking::new`] does that.
    #[derive(Debug, Clone)]
    pub struct ReqwestBlocking(pub reqwest::blocking::Client);

    impl ReqwestBlocking {
        /// A client with no redirects and a 10 s timeout.
        pub fn new() -> Result<Self, String> {
            reqwest::blocking::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .map(Self)
                .map_err(|e| e.to_string())
        }
    }

    impl HttpClient for ReqwestBlocking {
        fn execute(&self, request: HttpRequest) -> Result<HttpResponse, String> {
            let response = build::<reqwest::blocking::RequestBuilder>(&self.0, request)
                .send()
                .map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let headers = headers(response.headers());
            let body = response.bytes().map_err(|e| e.to_string())?.to_vec();
            Ok(HttpResponse {
                status,
                headers,
                body,
            })
        }
    }

    /// An async reqwest client (rustls) with no redirects and a 10 s timeout, as [`AsyncHttpClient`] wants.
    pub fn reqwest_client() -> Result<reqwest::Client, String> {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())
    }

    /// `reqwest::Client` as an [`AsyncHttpClient`]; build it with [`reqwest_client`] (no redirects, timeout).
    impl AsyncHttpClient for reqwest::Client {
        fn execute(
            &self,
            request: HttpRequest,
        ) -> impl Future<Output = Result<HttpResponse, String>> + Send {
            execute_async(self, request)
        }
    }

    /// Performs `request` with an async reqwest client (for callers on tokio).
    pub async fn execute_async(
        client: &reqwest::Client,
        request: HttpRequest,
    ) -> Result<HttpResponse, String> {
        let response = build::<reqwest::RequestBuilder>(client, request)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let headers = headers(response.headers());
        let body = response.bytes().await.map_err(|e| e.to_string())?.to_vec();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

#[cfg(feature = "reqwest")]
pub use reqwest_adapter::{ReqwestBlocking, execute_async, reqwest_client};
