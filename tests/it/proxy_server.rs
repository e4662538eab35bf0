//! Loopback proxies for the proxy tests: an HTTP CONNECT proxy (optionally wanting a user name
//! and password, or refusing every tunnel) and a SOCKS5 proxy without authentication. Each
//! records the targets it was asked for and relays bytes to them.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// HTTP CONNECT; `Some("user:password")` answers 407 unless those are sent.
    Connect {
        credentials: Option<&'static str>,
    },
    /// HTTP CONNECT answering 403 to every request.
    ConnectForbidden,
    Socks5,
}

pub struct TestProxy {
    port: u16,
    /// `host:port` of each tunnel asked for, as the client named it.
    targets: Arc<Mutex<Vec<String>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TestProxy {
    pub fn start(kind: Kind) -> TestProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime for the test proxy");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let port = listener.local_addr().unwrap().port();
        let targets = Arc::new(Mutex::new(Vec::new()));
        let seen = targets.clone();
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let _ = match kind {
                        Kind::Socks5 => socks5(client, seen).await,
                        _ => connect(client, kind, seen).await,
                    };
                });
            }
        });
        TestProxy {
            port,
            targets,
            runtime: Some(runtime),
        }
    }

    /// The proxy's URL with this scheme, e.g. `http://127.0.0.1:PORT`.
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A port on which nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn connect(
    mut client: TcpStream,
    kind: Kind,
    seen: Arc<Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = client.read_u8().await?;
        head.push(byte);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let target = head
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_default()
        .to_owned();
    seen.lock().unwrap().push(target.clone());
    let refusal = match kind {
        Kind::ConnectForbidden => Some("403 Forbidden"),
        Kind::Connect {
            credentials: Some(credentials),
        } => {
            use base64::Engine;
            let expected = format!(
                "proxy-authorization: basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            );
            let lower = head.to_ascii_lowercase();
            (!lower.contains(&expected.to_ascii_lowercase())).then_some(
                "407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"",
            )
        }
        _ => None,
    };
    if let Some(status) = refusal {
        let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
        return client.write_all(answer.as_bytes()).await;
    }
    let mut store = TcpStream::connect(&target).await?;
    client
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await?;
    tokio::io::copy_bidirectional(&mut client, &mut store).await?;
    Ok(())
}

/// SOCKS version 5: no authentication, CONNECT only.
async fn socks5(mut client: TcpStream, seen: Arc<Mutex<Vec<String>>>) -> std::io::Result<()> {
    let [version, methods] = [client.read_u8().await?, client.read_u8().await?];
    let mut offered = vec![0; usize::from(methods)];
    client.read_exact(&mut offered).await?;
    if version != 5 || !offered.contains(&0) {
        return client.write_all(&[5, 0xff]).await;
    }
    client.write_all(&[5, 0]).await?;
    let mut request = [0; 4];
    client.read_exact(&mut request).await?;
    let host = match request[3] {
        1 => {
            let mut ip = [0; 4];
            client.read_exact(&mut ip).await?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let mut name = vec![0; usize::from(client.read_u8().await?)];
            client.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        4 => {
            let mut ip = [0; 16];
            client.read_exact(&mut ip).await?;
            format!("[{}]", std::net::Ipv6Addr::from(ip))
        }
        _ => return Ok(()),
    };
    let port = client.read_u16().await?;
    let target = format!("{host}:{port}");
    seen.lock().unwrap().push(target.clone());
    let Ok(mut store) = TcpStream::connect(&target).await else {
        // Reply 5: connection refused.
        return client.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await;
    };
    client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
    tokio::io::copy_bidirectional(&mut client, &mut store).await?;
    Ok(())
}
