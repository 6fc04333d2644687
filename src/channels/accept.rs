//! The accept loop step shared by the listeners (web service, admin): wait for a connection or
//! the stop signal; an accept error (EMFILE under load, a reset before accept) is logged and
//! retried after a short pause instead of ending the listener.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// The next connection, or `None` once `stop` is cancelled.
pub async fn next(
    listener: &TcpListener,
    stop: &CancellationToken,
    name: &str,
) -> Option<(TcpStream, SocketAddr)> {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return None,
            r = listener.accept() => match r {
                Ok(x) => return Some(x),
                Err(e) => {
                    crate::internal_events::accept_failed(name, &e);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
}
