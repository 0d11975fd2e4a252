//! What one request looks like: method, path, headers and body, with the request's index
//! (`{i}`) or its order id (`{id}`, from an id list) substituted into the path and body.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::{Method, Request, Uri};

pub struct Target {
    pub addr: SocketAddr,
    host: HeaderValue,
    method: Method,
    path: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<String>,
    ids: Option<Vec<String>>,
}

impl Target {
    /// URL: `http://HOST:PORT/PATH` (plain HTTP/1.1 only). HEADERS: `Name: value` strings.
    /// IDS: the values of `{id}`, one per request.
    pub fn new(
        url: &str,
        method: &str,
        headers: &[String],
        body: Option<String>,
        ids: Option<Vec<String>>,
    ) -> anyhow::Result<Self> {
        let uri: Uri = url.parse().with_context(|| format!("invalid URL {url}"))?;
        if uri.scheme_str() != Some("http") {
            bail!("only http:// URLs are supported: {url}");
        }
        let authority = uri.authority().context("the URL has no host")?;
        let addr = format!("{}:{}", authority.host(), authority.port_u16().unwrap_or(80))
            .parse()
            .with_context(|| format!("the host of {url} must be an IP address"))?;
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        if path.contains("{id}") != ids.is_some() {
            bail!("an id list (--ids) goes with a URL whose path has {{id}}, and only then");
        }
        let headers = headers.iter().map(|h| parse_header(h)).collect::<anyhow::Result<_>>()?;
        Ok(Self {
            addr,
            host: HeaderValue::from_str(authority.as_str())?,
            method: method.parse().with_context(|| format!("invalid method {method}"))?,
            path,
            headers,
            body,
            ids,
        })
    }

    /// How many requests the id list allows (None: no limit).
    pub fn id_count(&self) -> Option<u64> {
        self.ids.as_ref().map(|ids| ids.len() as u64)
    }

    /// The value that names request K in the per-request output: its id, or its index.
    pub fn label(&self, k: u64) -> String {
        match &self.ids {
            Some(ids) => ids[k as usize].clone(),
            None => k.to_string(),
        }
    }

    pub fn request(&self, k: u64) -> anyhow::Result<Request<Full<Bytes>>> {
        let path = self.substitute(&self.path, k);
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(path)
            .header(HOST, self.host.clone());
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        let body = match &self.body {
            Some(body) => {
                let body = Bytes::from(self.substitute(body, k));
                builder = builder
                    .header(CONTENT_TYPE, "application/json")
                    .header(CONTENT_LENGTH, body.len());
                body
            }
            None => Bytes::new(),
        };
        Ok(builder.body(Full::new(body))?)
    }

    fn substitute(&self, template: &str, k: u64) -> String {
        let mut s = template.replace("{i}", &k.to_string());
        if let Some(ids) = &self.ids {
            s = s.replace("{id}", &ids[k as usize]);
        }
        s
    }
}

fn parse_header(h: &str) -> anyhow::Result<(HeaderName, HeaderValue)> {
    let (name, value) = h
        .split_once(':')
        .with_context(|| format!("a header is `Name: value`, not {h:?}"))?;
    Ok((name.trim().parse()?, value.trim().parse()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_index_are_substituted_into_path_and_body() {
        let target = Target::new(
            "http://127.0.0.1:8080/orders/{id}/status",
            "PATCH",
            &["Authorization: Bearer t".into()],
            Some(r#"{"n":{i}}"#.into()),
            Some(vec!["a".into(), "b".into()]),
        )
        .unwrap();
        let req = target.request(1).unwrap();
        assert_eq!(req.uri(), "/orders/b/status");
        assert_eq!(req.method(), Method::PATCH);
        assert_eq!(req.headers()["authorization"], "Bearer t");
        assert_eq!(req.headers()[CONTENT_LENGTH], "7");
        assert_eq!(target.label(1), "b");
    }

    #[test]
    fn an_id_list_needs_an_id_in_the_path() {
        assert!(Target::new("http://127.0.0.1:1/orders", "PATCH", &[], None, Some(vec![])).is_err());
        assert!(Target::new("http://127.0.0.1:1/o/{id}", "PATCH", &[], None, None).is_err());
    }

    #[test]
    fn only_plain_http_to_an_address_is_accepted() {
        assert!(Target::new("https://127.0.0.1:1/", "GET", &[], None, None).is_err());
        assert!(Target::new("http://localhost:1/", "GET", &[], None, None).is_err());
    }
}
