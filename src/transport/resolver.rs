//! A resolver that asks the system once a minute per host.

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
    /// (scheme, authority, when, addresses): a few gateways at most, looked
    /// up without allocating.
    cache: Mutex<Vec<(String, String, Instant, ResolvedSocketAddrs)>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &AgentConfig,
        timeout: NextTimeout,
    ) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return self.inner.resolve(uri, config, timeout);
        };
        let authority = authority.as_str();
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(s, a, at, _)| s == scheme && a == authority && at.elapsed() < DNS_TTL)
            .map(|(.., addrs)| addrs.clone());
        if let Some(addrs) = cached {
            return Ok(addrs);
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|(s, a, at, _)| at.elapsed() < DNS_TTL && !(s == scheme && a == authority));
        cache.push((
            scheme.to_string(),
            authority.to_string(),
            Instant::now(),
            addrs.clone(),
        ));
        Ok(addrs)
    }
}
