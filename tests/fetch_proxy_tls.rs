//! The fetcher inside a department: HTTPS through an HTTP CONNECT proxy named by
//! `HTTPS_PROXY`, `NO_PROXY` going around it, and servers whose certificates only the
//! `ca_bundle` setting makes trusted — including a proxy that re-signs every TLS
//! connection with the department's own CA.
//!
//! Through the proxy, the private-network guard still holds: a name that resolves to a
//! private address, an IP literal, a `localhost` name, and a redirect to any of them are
//! refused before the proxy is asked, with the error the guard gives without a proxy.
//!
//! Everything runs on loopback: a test CA made here, HTTPS origins and a small CONNECT
//! proxy that records what it was asked to reach. The proxy "resolves" every name to
//! 127.0.0.1, so origins can have names that no DNS knows; the fetcher resolves names
//! from a table made here ([`names`]), so no query leaves the machine.
//!
//! The proxy variables are read from the process environment when a fetcher is built, so
//! this file is its own test binary with a single test, setting them before any thread
//! starts.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use bulletin::fetch::{FetchError, FetchSettings, Fetched, Fetcher};
use bulletin::model::{Location, Validators};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// Names ending so are intercepted by the proxy: it answers the TLS handshake itself with
/// a certificate from the department CA and opens its own TLS connection to the origin.
const INTERCEPTED: &str = ".intercepted.test";

/// A certificate authority made for the test.
struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        TestCa {
            issuer: CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap(),
        }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `host`, with its key.
    fn server_config(&self, host: &str) -> Arc<rustls::ServerConfig> {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![host.to_string()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, host);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], key)
            .unwrap();
        Arc::new(config)
    }

    /// A client configuration trusting this CA only.
    fn client_config(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::clone(self.issuer.der())).unwrap();
        Arc::new(
            rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    }
}

/// Reads an HTTP/1.1 request head (up to the blank line) and returns its method and target.
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> Option<(String, String)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.ok()? == 0 || head.len() > 16 * 1024 {
            return None;
        }
        head.push(byte[0]);
    }
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    request.parse(&head).ok()?;
    Some((request.method?.to_string(), request.path?.to_string()))
}

/// An HTTPS origin answering every request with `body`, under a certificate for `host`.
async fn start_origin(tls: Arc<rustls::ServerConfig>, body: &'static str) -> u16 {
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    start_answering(tls, response).await
}

/// An HTTPS origin redirecting every request to `location`.
async fn start_redirect(tls: Arc<rustls::ServerConfig>, location: &str) -> u16 {
    let response = format!(
        "HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\n\
         connection: close\r\n\r\n"
    );
    start_answering(tls, response).await
}

/// An HTTPS origin answering every request with `response`.
async fn start_answering(tls: Arc<rustls::ServerConfig>, response: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = TlsAcceptor::from(tls);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, response) = (acceptor.clone(), response.clone());
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake here.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if read_head(&mut tls).await.is_none() {
                    return;
                }
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

/// An HTTP CONNECT proxy on loopback. Tunnels plain TCP, except to names ending in
/// [`INTERCEPTED`], whose TLS it terminates with a certificate from `resigning_ca` and
/// re-opens towards the origin trusting `upstream_ca`.
struct Proxy {
    connects: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    fn start(
        listener: std::net::TcpListener,
        resigning_ca: Arc<TestCa>,
        upstream_ca: Arc<TestCa>,
    ) -> Proxy {
        listener.set_nonblocking(true).unwrap();
        let listener = TcpListener::from_std(listener).unwrap();
        let connects = Arc::new(Mutex::new(Vec::new()));
        let log = connects.clone();
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let (log, resigning_ca, upstream_ca) =
                    (log.clone(), resigning_ca.clone(), upstream_ca.clone());
                tokio::spawn(async move {
                    tunnel(client, &log, &resigning_ca, &upstream_ca).await;
                });
            }
        });
        Proxy { connects }
    }

    fn connects(&self) -> Vec<String> {
        self.connects.lock().unwrap().clone()
    }
}

async fn tunnel(
    mut client: TcpStream,
    log: &Mutex<Vec<String>>,
    resigning_ca: &TestCa,
    upstream_ca: &TestCa,
) {
    let Some((method, target)) = read_head(&mut client).await else {
        return;
    };
    if method != "CONNECT" {
        let _ = client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    }
    log.lock().unwrap().push(target.clone());
    let Some((host, port)) = target.rsplit_once(':') else {
        return;
    };
    let Ok(port) = port.parse::<u16>() else {
        return;
    };
    let Ok(mut upstream) = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).await
    else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    if !host.ends_with(INTERCEPTED) {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        return;
    }
    let acceptor = TlsAcceptor::from(resigning_ca.server_config(host));
    let Ok(mut client) = acceptor.accept(client).await else {
        return;
    };
    let connector = TlsConnector::from(upstream_ca.client_config());
    let name = ServerName::try_from(host.to_string()).unwrap();
    let Ok(mut upstream) = connector.connect(name, upstream).await else {
        return;
    };
    relay(&mut client, &mut upstream).await;
}

async fn relay<A, B>(a: &mut A, b: &mut B)
where
    A: AsyncRead + AsyncWrite + Unpin,
    B: AsyncRead + AsyncWrite + Unpin,
{
    let _ = tokio::io::copy_bidirectional(a, b).await;
}

fn settings(ca_bundle: Option<&std::path::Path>, allow_private: bool) -> FetchSettings {
    FetchSettings {
        ca_bundle: ca_bundle.map(|p| p.to_path_buf()),
        allow_private_networks: allow_private,
        retries: 0,
        ..common::test_fetch_settings()
    }
}

/// What the fetchers resolve names to (the proxy connects every name to 127.0.0.1).
fn names() -> HashMap<String, Vec<IpAddr>> {
    let ip = |text: &str| text.parse::<IpAddr>().unwrap();
    [
        // The proxy, named as departments name theirs.
        ("localhost", vec![ip("127.0.0.1")]),
        // Public addresses (documentation ranges, which the guard lets through).
        ("events.department.test", vec![ip("192.0.2.10")]),
        ("redirect.department.test", vec![ip("192.0.2.11")]),
        // Public-looking names on private addresses.
        ("private.department.test", vec![ip("10.1.2.3")]),
        (
            "mixed.department.test",
            vec![ip("192.0.2.12"), ip("192.168.1.5")],
        ),
        // Listed in NO_PROXY: reached directly.
        ("private.internal.test", vec![ip("10.1.2.4")]),
        // news.intercepted.test is not here: a name only the proxy resolves.
    ]
    .into_iter()
    .map(|(name, ips)| (name.to_string(), ips))
    .collect()
}

/// The guard's refusal of `url`, whose `host` resolves to `ip`.
fn blocked(url: &str, host: &str, ip: &str) -> String {
    format!(
        "{url}: refused: {host} resolves to a private or internal address ({ip}), which sources \
         may not reach (settings.allow_private_networks)"
    )
}

async fn fetch(fetcher: &Fetcher, url: &str) -> Result<String, FetchError> {
    let location = Location::Url(url.parse().unwrap());
    match fetcher.fetch(&location, &Validators::default()).await? {
        Fetched::Document(document) => Ok(String::from_utf8(document.body).unwrap()),
        Fetched::NotModified { .. } => panic!("{url}: unexpected 304"),
    }
}

#[test]
fn https_through_a_proxy_trusts_what_ca_bundle_names() {
    // The proxy's port must be known before the environment names it.
    let proxy_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_port = proxy_listener.local_addr().unwrap().port();
    // SAFETY: single-threaded here: the runtime and every server start below.
    unsafe {
        // A proxy named by host name, as departments do; the private-network guard must
        // let the fetcher reach it.
        std::env::set_var("HTTPS_PROXY", format!("http://localhost:{proxy_port}"));
        std::env::set_var("NO_PROXY", "localhost,.internal.test");
        for var in ["https_proxy", "no_proxy", "ALL_PROXY", "all_proxy"] {
            std::env::remove_var(var);
        }
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(scenarios(proxy_listener));
}

async fn scenarios(proxy_listener: std::net::TcpListener) {
    let department_ca = Arc::new(TestCa::new("Test Department Root CA"));
    let public_ca = Arc::new(TestCa::new("Test Public Root CA"));
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("dept-ca.pem");
    std::fs::File::create(&bundle)
        .unwrap()
        .write_all(department_ca.pem().as_bytes())
        .unwrap();

    let proxy = Proxy::start(proxy_listener, department_ca.clone(), public_ca.clone());

    // An origin whose certificate the department CA signed, reached through the proxy.
    let events_host = "events.department.test";
    let events_port =
        start_origin(department_ca.server_config(events_host), "events via proxy").await;
    let events_url = format!("https://{events_host}:{events_port}/calendar.ics");

    let untrusting = Fetcher::with_hosts(settings(None, false), names()).unwrap();
    let trusting = Fetcher::with_hosts(settings(Some(&bundle), false), names()).unwrap();

    let error = fetch(&untrusting, &events_url)
        .await
        .expect_err("an unknown CA is refused");
    let message = error.to_string();
    assert!(message.contains(&events_url), "{message}");
    assert!(
        message.contains("certificate") && message.contains("UnknownIssuer"),
        "{message}"
    );
    assert!(message.contains("ca_bundle"), "names the fix: {message}");
    assert!(!error.is_transient(), "trying again cannot help: {message}");

    assert_eq!(
        fetch(&trusting, &events_url).await.unwrap(),
        "events via proxy"
    );
    let expected = format!("{events_host}:{events_port}");
    assert_eq!(proxy.connects(), vec![expected.clone(), expected.clone()]);

    // NO_PROXY: a name it lists is reached directly (loopback, so private networks on).
    let direct_port = start_origin(department_ca.server_config("localhost"), "direct").await;
    let direct = Fetcher::new(settings(Some(&bundle), true)).unwrap();
    let direct_url = format!("https://localhost:{direct_port}/feed");
    assert_eq!(fetch(&direct, &direct_url).await.unwrap(), "direct");
    assert_eq!(
        proxy.connects().len(),
        2,
        "NO_PROXY bypasses: {:?}",
        proxy.connects()
    );

    // A proxy that re-signs: the origin's own certificate comes from a CA the fetcher does
    // not know, and what the fetcher sees is the department CA's re-signed certificate.
    // Its name is unknown to the fetcher's resolver: only the proxy resolves it.
    let news_host = "news.intercepted.test";
    let news_port = start_origin(public_ca.server_config(news_host), "re-signed news").await;
    let news_url = format!("https://{news_host}:{news_port}/feed.xml");
    let error = fetch(&untrusting, &news_url)
        .await
        .expect_err("the re-signing CA is unknown without ca_bundle");
    let message = error.to_string();
    assert!(
        message.contains(&news_url) && message.contains("UnknownIssuer"),
        "{message}"
    );
    assert_eq!(fetch(&trusting, &news_url).await.unwrap(), "re-signed news");
    let expected = format!("{news_host}:{news_port}");
    assert_eq!(proxy.connects()[2..], [expected.clone(), expected]);

    // The origin behind the re-signing proxy is not trusted directly: the bundle holds the
    // department CA only, so the success above came through the re-signed certificate.
    let public_direct_port = start_origin(public_ca.server_config("localhost"), "x").await;
    let error = fetch(&direct, &format!("https://localhost:{public_direct_port}/"))
        .await
        .expect_err("the public test CA is not in the bundle");
    assert!(error.to_string().contains("UnknownIssuer"), "{error}");

    private_addresses_are_refused_through_the_proxy(&proxy, &department_ca, &bundle).await;
}

async fn private_addresses_are_refused_through_the_proxy(
    proxy: &Proxy,
    ca: &TestCa,
    bundle: &std::path::Path,
) {
    let guarded = Fetcher::with_hosts(settings(Some(bundle), false), names()).unwrap();
    let port = start_origin(ca.server_config("private.department.test"), "secret").await;
    let asked = proxy.connects().len();

    // A public-looking name on a private address: the proxy would reach it.
    let private_url = format!("https://private.department.test:{port}/secret");
    let error = fetch(&guarded, &private_url)
        .await
        .expect_err("a private address through the proxy is refused");
    assert!(matches!(error, FetchError::Blocked { .. }), "{error:?}");
    assert!(!error.is_transient());
    assert_eq!(
        error.to_string(),
        blocked(&private_url, "private.department.test", "10.1.2.3")
    );
    // The same refusal as a direct request's (NO_PROXY lists .internal.test), which the
    // resolver's guard makes.
    let direct_url = format!("https://private.internal.test:{port}/secret");
    let error = fetch(&guarded, &direct_url).await.expect_err("direct");
    assert_eq!(
        error.to_string(),
        blocked(&direct_url, "private.internal.test", "10.1.2.4")
    );
    // One private address among public ones is enough: the proxy may pick it.
    let mixed_url = format!("https://mixed.department.test:{port}/secret");
    let error = fetch(&guarded, &mixed_url).await.expect_err("mixed");
    assert_eq!(
        error.to_string(),
        blocked(&mixed_url, "mixed.department.test", "192.168.1.5")
    );
    // IP literals and localhost names, which no resolver is asked about.
    for (url, ip) in [
        (format!("https://10.9.8.7:{port}/"), "10.9.8.7"),
        (format!("https://[fd00::1]:{port}/"), "fd00::1"),
        (format!("https://api.localhost:{port}/"), "127.0.0.1"),
    ] {
        let error = fetch(&guarded, &url).await.expect_err(&url);
        let message = error.to_string();
        assert!(
            message.starts_with(&format!(
                "{url}: refused: {ip} is a private or internal address"
            )),
            "{message}"
        );
    }
    // A redirect from a public name to the private one, through the proxy.
    let redirect_port =
        start_redirect(ca.server_config("redirect.department.test"), &private_url).await;
    let redirect_url = format!("https://redirect.department.test:{redirect_port}/feed");
    let error = fetch(&guarded, &redirect_url)
        .await
        .expect_err("the redirect's target is refused");
    assert_eq!(
        error.to_string(),
        blocked(&private_url, "private.department.test", "10.1.2.3")
    );
    assert_eq!(
        proxy.connects()[asked..],
        [format!("redirect.department.test:{redirect_port}")],
        "the proxy was asked for the public origin alone"
    );

    // With private networks allowed, the same name goes through the proxy.
    let allowed = Fetcher::with_hosts(settings(Some(bundle), true), names()).unwrap();
    assert_eq!(fetch(&allowed, &private_url).await.unwrap(), "secret");
    assert_eq!(
        proxy.connects().last().unwrap(),
        &format!("private.department.test:{port}")
    );
}
