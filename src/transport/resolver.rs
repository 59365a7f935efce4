//! A resolver that asks the system once a minute per host.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ureq::config::Config as AgentConfig;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long a resolved gateway address is reused.
const DNS_TTL: Duration = Duration::from_secs(60);

/// ureq resolves the host before every request, even one that reuses a
/// pooled connection, and with a resolve timeout it does so on a new thread
/// each time (several times slower, p99 4 ms on loopback: benches/ywx).
/// This resolver asks the system once a minute per host (with the connect
/// timeout) and answers from memory in between.
#[derive(Debug, Default)]
pub struct CachingResolver {
    inner: DefaultResolver,
    cache: Mutex<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &AgentConfig,
        timeout: NextTimeout,
    ) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
        let key = match (uri.scheme(), uri.authority()) {
            (Some(scheme), Some(authority)) => DefaultResolver::host_and_port(scheme, authority),
            _ => None,
        };
        let Some(key) = key else {
            return self.inner.resolve(uri, config, timeout);
        };
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        if let Some((at, addrs)) = cached
            && at.elapsed() < DNS_TTL
        {
            return Ok(addrs);
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, (Instant::now(), addrs.clone()));
        Ok(addrs)
    }
}
