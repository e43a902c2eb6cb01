//! The sockets of the login listener: bound on every loopback address the redirect host can
//! mean (a port another user holds on one of them would receive the login), and kept
//! answerable however many idle connections other programs open (a few dozen at once, each
//! for seconds, the oldest closed first).

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Weak;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::sync::futures::OwnedNotified;
use tokio::time::Sleep;
use url::Url;

use super::PinterestError;

/// At most this many connections are open at once; a new one closes the oldest.
const MAX_CONNECTIONS: usize = 32;

/// A connection is closed this long after it opened: a login's requests take milliseconds.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(10);

/// The listeners for the redirect URI: every address it can reach on this machine must bind.
/// Only an address this machine does not have (IPv6 switched off) is left out, since then no
/// one can listen there either.
pub async fn bind(redirect: &Url) -> Result<Vec<CappedListener>, PinterestError> {
    let mut listeners = Vec::new();
    for address in loopback_addresses(redirect).await? {
        match TcpListener::bind(address).await {
            Ok(listener) => listeners.push(CappedListener::new(listener)),
            Err(e) if e.kind() == io::ErrorKind::AddrNotAvailable && address.is_ipv6() => {
                tracing::debug!(%address, "no IPv6 loopback here: {e}");
            }
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
                return Err(PinterestError::OAuth(format!(
                    "port {} on {} is in use{}, so the login could reach that program instead \
                     of this app; nothing was sent. Close it, or set PINTEREST_REDIRECT_URI to \
                     another redirect URI registered on your Pinterest app",
                    address.port(),
                    address.ip(),
                    holder(address)
                        .map(|who| format!(" by {who}"))
                        .unwrap_or_default()
                )));
            }
            Err(e) => {
                return Err(PinterestError::OAuth(format!(
                    "cannot listen on {address}: {e}"
                )));
            }
        }
    }
    Ok(listeners)
}

/// The loopback addresses of the redirect URI. For `localhost`, both loopbacks (browsers may
/// take either, whatever the resolver says) and any other loopback address it resolves to.
pub async fn loopback_addresses(redirect: &Url) -> Result<Vec<SocketAddr>, PinterestError> {
    let port = redirect.port_or_known_default().unwrap_or(80);
    let mut ips = match redirect.host() {
        Some(url::Host::Domain("localhost")) => {
            let mut ips = vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ];
            if let Ok(resolved) = tokio::net::lookup_host(("localhost", port)).await {
                ips.extend(resolved.map(|a| a.ip()).filter(IpAddr::is_loopback));
            }
            ips
        }
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => vec![IpAddr::V4(ip)],
        Some(url::Host::Ipv6(ip)) if ip.is_loopback() => vec![IpAddr::V6(ip)],
        _ => {
            return Err(PinterestError::Config(format!(
                "the redirect URI {redirect} is not on this machine; use http://localhost:PORT/ \
                 (and register it on your Pinterest app)"
            )));
        }
    };
    let mut seen = Vec::new();
    ips.retain(|ip| {
        let new = !seen.contains(ip);
        seen.push(*ip);
        new
    });
    Ok(ips
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect())
}

/// Who holds a listening socket on `address`, where the system says: "user NAME (uid N)".
#[cfg(target_os = "linux")]
fn holder(address: SocketAddr) -> Option<String> {
    let table = if address.is_ipv6() {
        "/proc/net/tcp6"
    } else {
        "/proc/net/tcp"
    };
    let text = std::fs::read_to_string(table).ok()?;
    let port = format!(":{:04X}", address.port());
    let uid: u32 = text.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // local_address, state 0A (LISTEN), uid: the 2nd, 4th and 8th fields.
        (fields.len() > 7 && fields[1].ends_with(&port) && fields[3] == "0A")
            .then(|| fields[7].parse().ok())
            .flatten()
    })?;
    // The passwd file names the user; without it the uid says enough.
    let name = std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd.lines().find_map(|line| {
                let mut parts = line.split(':');
                let name = parts.next()?;
                (parts.nth(1)? == uid.to_string()).then(|| name.to_owned())
            })
        });
    let mine = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == uid)
    };
    Some(match (name, mine) {
        (_, true) => format!("another program of yours (uid {uid})"),
        (Some(name), false) => format!("user {name} (uid {uid})"),
        (None, false) => format!("another user (uid {uid})"),
    })
}

#[cfg(not(target_os = "linux"))]
fn holder(_address: SocketAddr) -> Option<String> {
    None
}

/// A listener that keeps at most `MAX_CONNECTIONS` open, each for at most
/// `CONNECTION_LIFETIME`, and says once (not once a second) when accepting fails.
pub struct CappedListener {
    listener: TcpListener,
    open: VecDeque<(Weak<()>, Arc<Notify>)>,
    accept_failed: AtomicBool,
}

impl CappedListener {
    fn new(listener: TcpListener) -> Self {
        CappedListener {
            listener,
            open: VecDeque::new(),
            accept_failed: AtomicBool::new(false),
        }
    }
}

impl axum::serve::Listener for CappedListener {
    type Io = Bounded;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Bounded, SocketAddr) {
        loop {
            match self.listener.accept().await {
                Ok((stream, address)) => {
                    self.open.retain(|(alive, _)| alive.strong_count() > 0);
                    if self.open.len() >= MAX_CONNECTIONS
                        && let Some((_, oldest)) = self.open.pop_front()
                    {
                        oldest.notify_one();
                    }
                    let alive = Arc::new(());
                    let close = Arc::new(Notify::new());
                    self.open.push_back((Arc::downgrade(&alive), close.clone()));
                    return (Bounded::new(stream, alive, close), address);
                }
                Err(e) => {
                    if !self.accept_failed.swap(true, Ordering::Relaxed) {
                        tracing::warn!("the login listener cannot accept connections: {e}");
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

/// A connection that ends at its deadline or when the listener closes it for a newer one.
pub struct Bounded {
    stream: TcpStream,
    deadline: Pin<Box<Sleep>>,
    closed: Pin<Box<OwnedNotified>>,
    _alive: Arc<()>,
}

impl Bounded {
    fn new(stream: TcpStream, alive: Arc<()>, close: Arc<Notify>) -> Self {
        Bounded {
            stream,
            deadline: Box::pin(tokio::time::sleep(CONNECTION_LIFETIME)),
            closed: Box::pin(close.notified_owned()),
            _alive: alive,
        }
    }

    fn ended(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline.as_mut().poll(cx).is_ready() || self.closed.as_mut().poll(cx).is_ready()
    }
}

fn ended_error() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "login listener connection closed")
}

impl AsyncRead for Bounded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.ended(cx) {
            return Poll::Ready(Err(ended_error()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Bounded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.ended(cx) {
            return Poll::Ready(Err(ended_error()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_loopback_redirects() {
        let url = |text: &str| Url::parse(text).unwrap();
        let both = loopback_addresses(&url("http://localhost:8085/"))
            .await
            .unwrap();
        assert!(both.len() >= 2, "{both:?}");
        assert!(
            both.iter()
                .all(|a| a.ip().is_loopback() && a.port() == 8085)
        );
        assert!(
            loopback_addresses(&url("http://127.0.0.1:9/"))
                .await
                .is_ok()
        );
        assert!(
            loopback_addresses(&url("https://example.com/cb"))
                .await
                .is_err()
        );
    }
}
