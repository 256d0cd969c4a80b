//! [`StalledListener`] is the other half of "the server is unreachable" (the fault server's
//! `Refuse` mode is the first): a port that accepts no connection at all (its backlog is full),
//! so a client's connect timeout can be tested without leaving the loopback interface.

use std::time::Duration;

/// A port on 127.0.0.1 that never completes a connection: its listener has a backlog of one,
/// that backlog is full and nothing accepts, so the kernel drops new connection attempts and a
/// client waits until its connect timeout.
#[derive(Debug)]
pub struct StalledListener {
    base_url: String,
    _listener: std::net::TcpListener,
    _fillers: Vec<std::net::TcpStream>,
}

impl StalledListener {
    /// Listens and fills the backlog.
    ///
    /// # Panics
    /// When no loopback port can be had, or the backlog cannot be filled.
    pub fn start() -> Self {
        // tokio's socket is the one at hand that sets a backlog; it needs a runtime of its own,
        // made on a thread of its own so that this works inside a caller's runtime too.
        let listener = std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
                .expect("a runtime to make the socket");
            runtime.block_on(async {
                let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
                socket
                    .bind("127.0.0.1:0".parse().expect("an address"))
                    .expect("a free port on 127.0.0.1");
                socket
                    .listen(1)
                    .expect("a listener")
                    .into_std()
                    .expect("a plain listener")
            })
        })
        .join()
        .expect("the socket was made");
        let address = listener.local_addr().expect("the listener's address");
        let mut fillers = Vec::new();
        for _ in 0..16 {
            match std::net::TcpStream::connect_timeout(&address, Duration::from_millis(300)) {
                Ok(stream) => fillers.push(stream),
                Err(_) => {
                    return Self {
                        base_url: format!("http://{address}"),
                        _listener: listener,
                        _fillers: fillers,
                    };
                }
            }
        }
        panic!("the listener's backlog could not be filled");
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}
